// An IVR post-call survey: after the call, the caller presses 1-5 and the
// IVR submits it with the call id as interaction_id. The request id is
// derived from the call id, so however often the IVR (or this client) has
// to retry — a network blip, the feedback service restarting mid-call — the
// rating is stored once.
//
//   FEEDBACK_API_KEY=... ivr_post_call --call_id call-0042 --digit 4 --agent_id agent-7
#include <iostream>

#include "CLI/CLI.hpp"
#include "clients/feedback_client.h"

int main(int argc, char** argv) {
  CLI::App app{"IVR post-call survey: submit the caller's keypad digit (1-5)"};
  feedback::clients::ClientOptions options;
  std::string call_id, agent_id, queue, caller_number;
  int digit = 0;
  app.add_option("--addr", options.address, "Feedback service")->envname("FEEDBACK_ADDR");
  app.add_option("--api_key", options.api_key, "Ingest key")->envname("FEEDBACK_API_KEY")->required();
  app.add_option("--call_id", call_id, "The call's id")->required();
  app.add_option("--digit", digit, "Keypad digit the caller pressed")->required();
  app.add_option("--agent_id", agent_id, "Agent who took the call");
  app.add_option("--queue", queue, "Queue the call came through");
  app.add_option("--caller_number", caller_number, "Caller's number (for a callback)");
  CLI11_PARSE(app, argc, argv);
  if (digit < 1 || digit > 5) {
    // The IVR replays the prompt; nothing is sent.
    std::cerr << "digit must be 1-5; replay the prompt\n";
    return 2;
  }
  // A restart of the service takes a few seconds: wait for it (each attempt
  // up to its deadline) and keep trying, about 30 s in all.
  options.wait_for_ready = true;
  options.max_attempts = 6;
  options.max_backoff = absl::Seconds(2);
  feedback::clients::FeedbackClient client(options);

  feedback::v1::SubmitRatingRequest rating;
  rating.set_request_id("ivr:" + call_id);  // one rating per call, whatever the retries
  rating.set_channel(feedback::v1::CHANNEL_IVR);
  rating.set_score(digit);
  rating.set_interaction_id(call_id);
  rating.set_agent_id(agent_id);
  rating.set_queue(queue);
  rating.mutable_customer()->set_phone(caller_number);
  absl::StatusOr<feedback::v1::SubmitRatingResponse> stored = client.SubmitRating(rating);
  if (!stored.ok()) {
    // Not acknowledged: the IVR keeps the digit and submits it again later
    // with the same call id; it will still be stored once.
    std::cerr << "not stored yet: " << stored.status().message() << "\n";
    return 3;
  }
  std::cout << "stored " << stored->feedback_id()
            << (stored->duplicate() ? " (already stored earlier)" : "")
            << (stored->follow_up_complaint_id().empty()
                    ? ""
                    : "; follow-up case " + stored->follow_up_complaint_id())
            << "\n";
  return 0;
}
