#include "sentry/cmd/help.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "sentry/cmd/version.h"

namespace sentry::cmd {

namespace po = boost::program_options;

namespace {

HelpForm g_form = HelpForm::kShort;  // set once by main.cc, before any command runs

// Paragraphs: runs of lines between blank lines.
std::vector<std::string_view> Paragraphs(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    std::size_t end = text.find("\n\n");
    if (end == std::string_view::npos) end = text.size();
    std::string_view p = text.substr(0, end);
    while (!p.empty() && p.back() == '\n') p.remove_suffix(1);
    if (!p.empty()) out.push_back(p);
    text.remove_prefix(std::min(text.size(), end + 2));
    while (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  }
  return out;
}

// The lines of `text` (no trailing empty one).
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    out.push_back(text.substr(0, end));
    text.remove_prefix(std::min(text.size(), end + 1));
  }
  return out;
}

std::string_view WithoutLeadingSpaces(std::string_view line) {
  while (line.starts_with(' ')) line.remove_prefix(1);
  return line;
}

// The usage lines (the synopsis) and the description after them.
std::pair<std::string_view, std::string_view> SplitUsage(std::string_view usage) {
  const std::size_t blank = usage.find("\n\n");
  if (blank == std::string_view::npos) return {usage, {}};
  return {usage.substr(0, blank), usage.substr(blank + 2)};
}

// Text made safe for roff: backslashes and dashes escaped, and a line that
// would start with a control character kept as text.
std::string Roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

std::string Indented(std::string_view text) {
  std::string out;
  for (const auto p : Paragraphs(text)) {
    if (!out.empty()) out += "\n";
    for (const auto line : Lines(p)) {
      out += "  ";
      out += line;
      out += "\n";
    }
  }
  return out;
}

void TextSection(std::ostream& out, std::string_view title, std::string_view text) {
  if (text.empty()) return;
  out << "\n" << title << ":\n" << Indented(text);
}

// One option's names: "-h", "--help" (a short name only when it has one).
struct OptionNames {
  std::string short_name;
  std::string long_name;
  std::string parameter;  // "FILE", "arg (=5)"; empty for a switch
};

OptionNames NamesOf(const po::option_description& o) {
  OptionNames n{.short_name = {}, .long_name = "--" + o.long_name(), .parameter = {}};
  const std::string shown = o.format_name();  // "-h [ --help ]" or "--db"
  if (shown.size() >= 2 && shown[0] == '-' && shown[1] != '-') {
    n.short_name = shown.substr(0, shown.find(' '));
  }
  n.parameter = o.format_parameter();
  return n;
}

// How a section's paragraphs are set: filled, as laid out, or (FILES,
// ENVIRONMENT) each a term on its first line and its meaning indented below.
enum class Layout : std::uint8_t { kFilled, kAsIs, kTerms };

void ManSection(std::ostream& out, std::string_view title, std::string_view text,
                Layout layout = Layout::kFilled) {
  if (text.empty()) return;
  out << ".SH "
      << (title.find(' ') != std::string_view::npos ? fmt::format("\"{}\"", title)
                                                    : std::string(title))
      << "\n";
  for (const auto p : Paragraphs(text)) {
    const std::size_t first_end = p.find('\n');
    if (layout == Layout::kTerms && first_end != std::string_view::npos) {
      // Its meaning filled: a line that starts with a space would break it.
      std::string meaning;
      for (const auto line : Lines(p.substr(first_end + 1))) {
        meaning += std::string(WithoutLeadingSpaces(line)) + "\n";
      }
      out << ".TP\n\\fB" << Roff(p.substr(0, first_end)) << "\\fR\n" << Roff(meaning);
    } else if (layout == Layout::kAsIs || p.find("\n  ") != std::string_view::npos ||
               p.starts_with("  ")) {
      // A list laid out in columns (inspect's questions) keeps its layout.
      out << ".PP\n.nf\n" << Roff(p) << "\n.fi\n";
    } else {
      out << ".PP\n" << Roff(p) << "\n";
    }
  }
}

void PrintMan(std::ostream& out, const CommandDoc& doc, const po::options_description& options) {
  const std::string page = doc.name.empty() ? "sentry" : fmt::format("sentry-{}", doc.name);
  std::string upper = page;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out << fmt::format(".TH \"{}\" \"1\" \"\" \"sentry {}\" \"User Commands\"\n", upper, kVersion);
  out << ".SH NAME\n" << Roff(page) << " \\- " << Roff(doc.summary) << "\n";
  const auto [synopsis, description] = SplitUsage(doc.usage);
  out << ".SH SYNOPSIS\n.nf\n";
  for (std::string_view line : Lines(synopsis)) {
    if (line.starts_with("usage:")) line.remove_prefix(6);
    out << Roff(WithoutLeadingSpaces(line)) << "\n";
  }
  out << ".fi\n";
  ManSection(out, "DESCRIPTION", description);
  if (!options.options().empty()) {
    out << ".SH OPTIONS\n";
    for (const auto& o : options.options()) {
      const OptionNames n = NamesOf(*o);
      out << ".TP\n";
      if (!n.short_name.empty()) out << "\\fB" << Roff(n.short_name) << "\\fR, ";
      out << "\\fB" << Roff(n.long_name) << "\\fR";
      if (!n.parameter.empty()) out << " \\fI" << Roff(n.parameter) << "\\fR";
      out << "\n" << Roff(o->description()) << "\n";
    }
  }
  ManSection(out, "EXIT STATUS", doc.exit_status);
  ManSection(out, "FILES", doc.files, Layout::kTerms);
  ManSection(out, "ENVIRONMENT", doc.environment, Layout::kTerms);
  ManSection(out, "EXAMPLES", doc.examples, Layout::kAsIs);
  ManSection(out, "SEE ALSO", doc.see_also);
}

}  // namespace

void SetHelpForm(HelpForm form) {
  g_form = form;
}

HelpForm CurrentHelpForm() {
  return g_form;
}

int PrintHelp(std::ostream& out, const CommandDoc& doc, const po::options_description& options) {
  switch (g_form) {
    case HelpForm::kMan:
      PrintMan(out, doc, options);
      return 0;
    case HelpForm::kOptions:
      for (const auto& o : options.options()) {
        const OptionNames n = NamesOf(*o);
        // "--db=FILE": what its value is, for the completion to offer files.
        const std::string value = n.parameter.empty() ? "" : "=" + n.parameter;
        out << n.long_name << value << "\n";
        if (!n.short_name.empty()) out << n.short_name << value << "\n";
      }
      return 0;
    case HelpForm::kShort:
    case HelpForm::kFull:
      break;
  }
  out << doc.usage;
  if (!doc.usage.ends_with('\n')) out << "\n";
  if (!options.options().empty()) out << "\n" << options;
  TextSection(out, "exit status", doc.exit_status);
  if (g_form == HelpForm::kFull) {
    TextSection(out, "files", doc.files);
    TextSection(out, "environment", doc.environment);
    TextSection(out, "examples", doc.examples);
    TextSection(out, "see also", doc.see_also);
  }
  return 0;
}

}  // namespace sentry::cmd
