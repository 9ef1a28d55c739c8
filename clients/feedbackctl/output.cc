#include "clients/feedbackctl/output.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"

namespace feedback::ctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// "ComplaintStatus" -> "COMPLAINT_STATUS_".
std::string EnumPrefix(const std::string& type_name) {
  std::string out;
  for (size_t i = 0; i < type_name.size(); ++i) {
    const char c = type_name[i];
    if (i > 0 && std::isupper(static_cast<unsigned char>(c))) out += '_';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out + "_";
}

std::string EnumText(const google::protobuf::EnumValueDescriptor* value) {
  std::string name = value->name();
  const std::string prefix = EnumPrefix(value->type()->name());
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  if (name == "UNSPECIFIED") return "";
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

std::string Number(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v))) return absl::StrCat(static_cast<int64_t>(v));
  return absl::StrFormat("%.2f", v);
}

std::string Scalar(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return Number(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return Number(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return EnumText(rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f));
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "";
}

void FlattenInto(const Message& m, const std::string& prefix, absl::TimeZone zone,
                 std::vector<std::string>* columns, std::vector<std::string>* cells) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string name = prefix + f->name();
    if (f->is_map()) {
      std::vector<std::string> pairs;
      for (int j = 0; j < r->FieldSize(m, f); ++j) {
        const Message& entry = r->GetRepeatedMessage(m, f, j);
        const Descriptor* e = entry.GetDescriptor();
        pairs.push_back(Scalar(entry, e->field(0), 0) + "=" + Scalar(entry, e->field(1), 0));
      }
      std::sort(pairs.begin(), pairs.end());
      columns->push_back(name);
      cells->push_back(absl::StrJoin(pairs, ";"));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && f->is_repeated()) {
      columns->push_back(name);
      cells->push_back(absl::StrCat(r->FieldSize(m, f)));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const std::string type = f->message_type()->full_name();
      if (type == "google.protobuf.Timestamp") {
        columns->push_back(name);
        if (!r->HasField(m, f)) {
          cells->push_back("");
        } else {
          const auto& ts = static_cast<const google::protobuf::Timestamp&>(r->GetMessage(m, f));
          cells->push_back(absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez",
                                            absl::FromUnixSeconds(ts.seconds()), zone));
        }
      } else if (type == "google.protobuf.Duration") {
        columns->push_back(name);
        const auto& du = static_cast<const google::protobuf::Duration&>(r->GetMessage(m, f));
        cells->push_back(r->HasField(m, f) ? absl::StrCat(du.seconds(), "s") : "");
      } else {
        FlattenInto(r->GetMessage(m, f), name + ".", zone, columns, cells);
      }
    } else if (f->is_repeated()) {
      std::vector<std::string> values;
      for (int j = 0; j < r->FieldSize(m, f); ++j) values.push_back(Scalar(m, f, j));
      columns->push_back(name);
      cells->push_back(absl::StrJoin(values, ";"));
    } else {
      columns->push_back(name);
      cells->push_back(Scalar(m, f, 0));
    }
  }
}

std::string CsvCell(const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Display width in code points (UTF-8 continuation bytes do not count).
size_t Width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

Flat Flatten(const Message& message, const std::string& list_field,
             const std::string& total_field, absl::TimeZone zone) {
  Flat flat;
  std::vector<const Message*> items;
  const Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  if (list_field.empty()) {
    items.push_back(&message);
  } else if (const FieldDescriptor* f = d->FindFieldByName(list_field)) {
    for (int i = 0; i < r->FieldSize(message, f); ++i) items.push_back(&r->GetRepeatedMessage(message, f, i));
  }
  const Message* total = nullptr;
  if (!total_field.empty()) {
    if (const FieldDescriptor* f = d->FindFieldByName(total_field)) total = &r->GetMessage(message, f);
  }
  for (const Message* item : items) {
    std::vector<std::string> columns, cells;
    FlattenInto(*item, "", zone, &columns, &cells);
    if (flat.columns.empty()) flat.columns = columns;
    flat.rows.push_back(std::move(cells));
  }
  if (total != nullptr) {
    std::vector<std::string> columns, cells;
    FlattenInto(*total, "", zone, &columns, &cells);
    if (flat.columns.empty()) flat.columns = columns;
    if (!cells.empty()) cells[0] = "TOTAL";
    flat.rows.push_back(std::move(cells));
  }
  if (flat.columns.empty() && !list_field.empty()) {
    // No rows: the columns still come from the element type.
    if (const FieldDescriptor* f = d->FindFieldByName(list_field)) {
      std::vector<std::string> cells;
      FlattenInto(*google::protobuf::MessageFactory::generated_factory()
                       ->GetPrototype(f->message_type()),
                  "", zone, &flat.columns, &cells);
    }
  }
  return flat;
}

std::string Render(const Message& message, Format format, const std::string& list_field,
                   const std::string& total_field, absl::TimeZone zone) {
  if (format == Format::kJson || format == Format::kCompact) {
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = format == Format::kJson;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    (void)google::protobuf::util::MessageToJsonString(message, &text, options);
    if (text.empty() || text.back() != '\n') text += '\n';
    return text;
  }
  const Flat flat = Flatten(message, list_field, total_field, zone);
  std::string out;
  if (format == Format::kCsv) {
    std::vector<std::string> header;
    for (const auto& c : flat.columns) header.push_back(CsvCell(c));
    out += absl::StrJoin(header, ",") + "\r\n";
    for (const auto& row : flat.rows) {
      std::vector<std::string> cells;
      for (const auto& c : row) cells.push_back(CsvCell(c));
      out += absl::StrJoin(cells, ",") + "\r\n";
    }
    return out;
  }
  // Table: the columns that are set in some row, aligned.
  std::vector<size_t> keep;
  for (size_t c = 0; c < flat.columns.size(); ++c) {
    const bool used = std::any_of(flat.rows.begin(), flat.rows.end(), [&](const auto& row) {
      return c < row.size() && !row[c].empty();
    });
    if (used || flat.rows.empty()) keep.push_back(c);
  }
  std::vector<size_t> width(keep.size());
  for (size_t k = 0; k < keep.size(); ++k) {
    width[k] = Width(flat.columns[keep[k]]);
    for (const auto& row : flat.rows) width[k] = std::max(width[k], Width(row[keep[k]]));
  }
  auto line = [&](auto cell_of) {
    std::string text;
    for (size_t k = 0; k < keep.size(); ++k) {
      const std::string cell = cell_of(keep[k]);
      text += cell;
      if (k + 1 < keep.size()) text += std::string(width[k] - Width(cell) + 2, ' ');
    }
    return text + "\n";
  };
  out += line([&](size_t c) { return flat.columns[c]; });
  for (const auto& row : flat.rows) out += line([&](size_t c) { return row[c]; });
  if (flat.rows.empty()) out += "(no rows)\n";
  return out;
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace feedback::ctl
