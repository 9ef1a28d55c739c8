# Writes OUTPUT: a C++ source defining feedback::migrations::Embedded(), with
# the bytes of every file in FILES (NNNN_name.sql, "|"-separated) as a
# character array.
string(REPLACE "|" ";" FILES "${FILES}")
set(body "")
set(entries "")
set(index 0)
foreach(path IN LISTS FILES)
  get_filename_component(name ${path} NAME_WE)
  string(REGEX MATCH "^([0-9]+)_" _ ${name})
  if(NOT CMAKE_MATCH_1)
    message(FATAL_ERROR "migration file name must start with a number: ${path}")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  file(READ ${path} hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(APPEND body "constexpr char kSql${index}[] = {${bytes} 0};\n")
  string(APPEND entries "      {${version}, \"${name}\", std::string(kSql${index}, ${size})},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE ${OUTPUT}.tmp
"// Generated from migrations/*.sql; do not edit.
#include \"migrations/embedded_migrations.h\"

namespace feedback::migrations {
namespace {
${body}}  // namespace

const std::vector<Migration>& Embedded() {
  static const std::vector<Migration> kAll = {
${entries}  };
  return kAll;
}

}  // namespace feedback::migrations
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
