#include "clients/feedbackctl/html_report.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "clients/feedbackctl/output.h"

namespace feedback::ctl {
namespace {

constexpr const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

struct Series {
  std::string name;
  std::map<int64_t, double> points;  // by bucket start (Unix seconds)
};

// A line chart: x = the buckets in order, y from y_min to y_max.
std::string LineChart(const std::string& title, const std::vector<int64_t>& buckets,
                      const std::vector<std::string>& labels, const std::vector<Series>& series,
                      double y_min, double y_max, const std::string& unit) {
  constexpr double kW = 720, kH = 300, kLeft = 56, kRight = 160, kTop = 36, kBottom = 48;
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  auto x_of = [&](size_t i) {
    return kLeft + (buckets.size() <= 1 ? plot_w / 2
                                        : plot_w * static_cast<double>(i) /
                                              static_cast<double>(buckets.size() - 1));
  };
  auto y_of = [&](double v) { return kTop + plot_h * (1 - (v - y_min) / (y_max - y_min)); };
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s\">"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>"
      "<text x=\"%.0f\" y=\"22\" class=\"title\">%s</text>",
      kW, kH, kW, kH, HtmlEscape(title), kLeft, HtmlEscape(title));
  for (int t = 0; t <= 4; ++t) {
    const double v = y_min + (y_max - y_min) * t / 4;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">%.0f%s</text>",
                          kLeft, kLeft + plot_w, y_of(v), y_of(v), kLeft - 6, y_of(v) + 4, v,
                          HtmlEscape(unit));
  }
  const size_t step = std::max<size_t>(1, (labels.size() + 5) / 6);  // six labels at most
  for (size_t i = 0; i < labels.size(); i += step) {
    absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">%s</text>",
                          x_of(i), kTop + plot_h + 18, HtmlEscape(labels[i]));
  }
  for (size_t s = 0; s < series.size(); ++s) {
    const char* color = kColors[s % (sizeof(kColors) / sizeof(kColors[0]))];
    std::vector<std::string> points;
    for (size_t i = 0; i < buckets.size(); ++i) {
      auto it = series[s].points.find(buckets[i]);
      if (it == series[s].points.end()) continue;
      points.push_back(absl::StrFormat("%.1f,%.1f", x_of(i), y_of(it->second)));
      absl::StrAppendFormat(&svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x_of(i),
                            y_of(it->second), color);
    }
    absl::StrAppendFormat(&svg,
                          "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>"
                          "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                          "<text x=\"%.0f\" y=\"%.0f\" class=\"axis\">%s</text>",
                          absl::StrJoin(points, " "), color, kW - kRight + 16,
                          kTop + 18.0 * static_cast<double>(s), color, kW - kRight + 34,
                          kTop + 10 + 18.0 * static_cast<double>(s),
                          HtmlEscape(series[s].name.empty() ? "all" : series[s].name));
  }
  return svg + "</svg>";
}

// Horizontal bars, each with its value written at its end.
std::string BarChart(const std::string& title, const std::vector<std::string>& labels,
                     const std::vector<double>& values, double max, const std::string& unit) {
  constexpr double kW = 720, kLeft = 200, kBar = 26, kTop = 36;
  const double height = kTop + kBar * static_cast<double>(labels.size()) + 16;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
      "aria-label=\"%s\"><rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>"
      "<text x=\"12\" y=\"22\" class=\"title\">%s</text>",
      kW, height, HtmlEscape(title), HtmlEscape(title));
  if (max <= 0) max = 1;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double y = kTop + kBar * static_cast<double>(i);
    const double w = (kW - kLeft - 90) * std::max(0.0, values[i]) / max;
    absl::StrAppendFormat(&svg,
                          "<text x=\"%.0f\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">%s</text>"
                          "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\">%s%s</text>",
                          kLeft - 8, y + 16, HtmlEscape(labels[i]), kLeft, y + 4, w, kBar - 8,
                          kColors[i % (sizeof(kColors) / sizeof(kColors[0]))], kLeft + w + 6,
                          y + 16, absl::StrFormat("%.4g", values[i]), HtmlEscape(unit));
  }
  return svg + "</svg>";
}

absl::TimeZone ZoneOf(const v1::ReportQuery& q) {
  absl::TimeZone zone = absl::UTCTimeZone();
  if (!q.time_zone().empty()) absl::LoadTimeZone(q.time_zone(), &zone);
  return zone;
}

std::string Day(int64_t seconds, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(seconds), zone);
}

template <typename Row>
std::string GroupName(const Row& row) {
  if constexpr (!requires { row.channel(); }) {
    return "";
  } else {
  std::vector<std::string> parts;
  if (row.channel() != 0) parts.push_back(absl::AsciiStrToLower(v1::Channel_Name(row.channel()).substr(8)));
  if (!row.agent_id().empty()) parts.push_back(row.agent_id());
  if (!row.queue().empty()) parts.push_back(row.queue());
  if constexpr (std::is_same_v<Row, v1::ComplaintRow>) {
    if (!row.category().empty()) parts.push_back(row.category());
  }
  return absl::StrJoin(parts, " / ");
  }
}

// Buckets, their labels and one series per group of `rows`, with `value`.
template <typename Rows, typename Value>
void Trend(const Rows& rows, absl::TimeZone zone, Value value, std::vector<int64_t>* buckets,
           std::vector<std::string>* labels, std::vector<Series>* series) {
  std::map<std::string, Series> by_group;
  for (const auto& row : rows) {
    const int64_t b = row.bucket_start().seconds();
    if (std::find(buckets->begin(), buckets->end(), b) == buckets->end()) buckets->push_back(b);
    Series& s = by_group[GroupName(row)];
    s.name = GroupName(row);
    s.points[b] = value(row);
  }
  std::sort(buckets->begin(), buckets->end());
  for (int64_t b : *buckets) {
    labels->push_back(absl::FormatTime("%b %d", absl::FromUnixSeconds(b), zone));
  }
  for (auto& [name, s] : by_group) {
    if (series->size() < 10) series->push_back(std::move(s));  // the legend has room for ten
  }
}

std::string Page(const std::string& title, const v1::ReportQuery& q,
                 const std::vector<std::string>& charts, const google::protobuf::Message& report) {
  const absl::TimeZone zone = ZoneOf(q);
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>",
      HtmlEscape(title),
      "</title><style>body{font-family:sans-serif;margin:24px;color:#222;background:#fafafa}"
      "h1{font-size:22px}.meta{color:#555}svg{display:block;margin:16px 0;border:1px solid #ddd}"
      ".title{font-size:15px;font-weight:bold;fill:#222}.axis{font-size:11px;fill:#444}"
      "table{border-collapse:collapse;font-size:12px;background:#fff}"
      "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
      "th{background:#eee}tr:last-child{font-weight:bold}</style></head><body>\n<h1>",
      HtmlEscape(title), "</h1>\n<p class=\"meta\">",
      HtmlEscape(absl::StrCat(Day(q.start_time().seconds(), zone), " to ",
                              Day(q.end_time().seconds(), zone), " (end exclusive), ",
                              q.time_zone().empty() ? "UTC" : q.time_zone())),
      "</p>\n");
  for (const std::string& chart : charts) html += chart + "\n";
  const Flat flat = Flatten(report, "rows", "total", zone);
  html += "<table><tr>";
  std::vector<size_t> keep;
  for (size_t c = 0; c < flat.columns.size(); ++c) {
    if (std::any_of(flat.rows.begin(), flat.rows.end(), [&](const auto& r) { return !r[c].empty(); })) {
      keep.push_back(c);
      html += "<th>" + HtmlEscape(flat.columns[c]) + "</th>";
    }
  }
  html += "</tr>\n";
  for (const auto& row : flat.rows) {
    html += "<tr>";
    for (size_t c : keep) html += "<td>" + HtmlEscape(row[c]) + "</td>";
    html += "</tr>\n";
  }
  return html + "</table>\n</body></html>\n";
}

}  // namespace

std::string SatisfactionHtml(const v1::ReportQuery& q, const v1::SatisfactionReport& r) {
  std::vector<int64_t> buckets;
  std::vector<std::string> labels;
  std::vector<Series> series;
  Trend(r.rows(), ZoneOf(q), [](const auto& row) { return row.csat_percent(); }, &buckets, &labels,
        &series);
  const auto& t = r.total();
  const std::vector<double> counts = {static_cast<double>(t.score_1()), static_cast<double>(t.score_2()),
                                      static_cast<double>(t.score_3()), static_cast<double>(t.score_4()),
                                      static_cast<double>(t.score_5())};
  return Page("Customer satisfaction (CSAT)", q,
              {LineChart("CSAT % per bucket", buckets, labels, series, 0, 100, "%"),
               BarChart(absl::StrCat("Score distribution (", t.responses(), " responses)"),
                        {"1", "2", "3", "4", "5"}, counts,
                        *std::max_element(counts.begin(), counts.end()), "")},
              r);
}

std::string NpsHtml(const v1::ReportQuery& q, const v1::NpsReport& r) {
  std::vector<int64_t> buckets;
  std::vector<std::string> labels;
  std::vector<Series> series;
  Trend(r.rows(), ZoneOf(q), [](const auto& row) { return row.nps(); }, &buckets, &labels, &series);
  const auto& t = r.total();
  const std::vector<double> counts = {static_cast<double>(t.promoters()),
                                      static_cast<double>(t.passives()),
                                      static_cast<double>(t.detractors())};
  return Page(absl::StrFormat("Net Promoter Score %.1f ± %.1f", t.nps(), t.margin_of_error_95()), q,
              {LineChart("NPS per bucket", buckets, labels, series, -100, 100, ""),
               BarChart("Promoters, passives, detractors", {"promoters (9-10)", "passives (7-8)",
                                                            "detractors (0-6)"},
                        counts, *std::max_element(counts.begin(), counts.end()), "")},
              r);
}

std::string ComplaintHtml(const v1::ReportQuery& q, const v1::ComplaintReport& r) {
  std::vector<int64_t> buckets;
  std::vector<std::string> labels;
  std::vector<Series> series;
  Trend(r.rows(), ZoneOf(q), [](const auto& row) { return row.resolution_sla_met_percent(); },
        &buckets, &labels, &series);
  const auto& t = r.total();
  return Page("Complaints", q,
              {LineChart("Resolution SLA met % per bucket", buckets, labels, series, 0, 100, "%"),
               BarChart(absl::StrCat("All ", t.opened(), " complaints"),
                        {"first response SLA met", "resolution SLA met", "resolved",
                         "reopened", "resolution CSAT"},
                        {t.first_response_sla_met_percent(), t.resolution_sla_met_percent(),
                         t.resolution_rate_percent(), t.reopened_percent(),
                         t.resolution_csat_percent()},
                        100, "%")},
              r);
}

std::string RetentionHtml(const v1::ReportQuery& q, const v1::RetentionReport& r) {
  std::vector<int64_t> buckets;
  std::vector<std::string> labels;
  std::vector<Series> series;
  Trend(r.rows(), ZoneOf(q), [](const auto& row) { return row.return_rate_percent(); }, &buckets,
        &labels, &series);
  const auto& t = r.total();
  return Page("Customer return rate", q,
              {LineChart("Return rate % per bucket", buckets, labels, series, 0, 100, "%"),
               BarChart("Complainants who came back", {"complaint resolved", "not resolved"},
                        {t.complainants_resolved_return_rate_percent(),
                         t.complainants_unresolved_return_rate_percent()},
                        100, "%")},
              r);
}

}  // namespace feedback::ctl
