#pragma once

#include <string>

namespace feedback::services {

// Configures spdlog: `format` "text" (default) or "json" (one JSON object
// per line, the message properly escaped), `level` as spdlog names it
// ("info", "debug", ...). Logs go to stderr. Returns false for an unknown
// format or level.
bool ConfigureLogging(const std::string& format, const std::string& level);

}  // namespace feedback::services
