#pragma once

#include <string>

#include "feedback/v1/reporting_service.pb.h"

namespace feedback::ctl {

// One self-contained HTML page (inline CSS and SVG, no scripts, nothing
// fetched) with a report's charts and its table: CSAT or NPS trend lines
// per bucket and group, score distribution bars, complaint SLA met %,
// return rates.
std::string SatisfactionHtml(const v1::ReportQuery& query, const v1::SatisfactionReport& report);
std::string NpsHtml(const v1::ReportQuery& query, const v1::NpsReport& report);
std::string ComplaintHtml(const v1::ReportQuery& query, const v1::ComplaintReport& report);
std::string RetentionHtml(const v1::ReportQuery& query, const v1::RetentionReport& report);

}  // namespace feedback::ctl
