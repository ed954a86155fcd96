# Writes OUT, a C++ source holding each SQL migration file of IN (a list,
# in version order, joined by |) as a string, so the binary needs no
# installed share/.
set(body "// Generated from share/sql/ by inspect/embed_sql.cmake; do not edit.\n")
string(APPEND body "#include \"inspect/schema.h\"\n\nnamespace sentry::inspect {\n\n")
string(APPEND body "const std::vector<Migration>& Migrations() {\n  static const std::vector<Migration> kAll = {\n")
set(version 0)
string(REPLACE "|" ";" files "${IN}")
foreach(file IN LISTS files)
  math(EXPR version "${version} + 1")
  file(READ "${file}" sql)
  get_filename_component(name "${file}" NAME)
  string(APPEND body "      {${version}, \"${name}\", R\"sentrysql(${sql})sentrysql\"},\n")
endforeach()
string(APPEND body "  };\n  return kAll;\n}\n\n}  // namespace sentry::inspect\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
