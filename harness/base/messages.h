// isotest's own lines on stderr. Each one starts with "isotest: ", whatever the names in it hold:
// a control character (a newline in a command's name, a terminal escape) is written escaped, so
// that one message stays one line and a log scanner finds every line isotest printed.
#pragma once

#include <string>
#include <string_view>

namespace isotest {

// `text` with each control character written as an escape: \n, \r, \t, or \xHH.
std::string escape_control_characters(std::string_view text);

// How a message shows a value someone gave: `12Q`, or, for an empty one, "an empty value (an
// unset variable?)", the usual cause.
std::string describe_given(std::string_view text);

// "isotest: TEXT\n" on stderr, in one write, with TEXT's control characters escaped.
void print_message(std::string_view text);

}  // namespace isotest
