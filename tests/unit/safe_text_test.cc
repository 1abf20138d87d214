#include "safe_text.h"

#include <gtest/gtest.h>

namespace isotest {
namespace {

TEST(XmlText, EscapesMarkupAndKeepsUtf8) {
  EXPECT_EQ(xml_text("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(xml_text("tab\tnl\ncr\r"), "tab\tnl\ncr\r");
  EXPECT_EQ(xml_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(xml_text("\xef\xbf\xbd"), "\xef\xbf\xbd") << "U+FFFD is allowed";
}

TEST(XmlText, ReplacesWhatXml10Forbids) {
  EXPECT_EQ(xml_text(std::string("nul\0!", 5)), "nul?!");
  EXPECT_EQ(xml_text("\x01\x1b[31m\x7f"), "??[31m\x7f") << "DEL is allowed in XML 1.0";
  EXPECT_EQ(xml_text("\xef\xbf\xbe|\xef\xbf\xbf"), "?|?") << "U+FFFE and U+FFFF";
  EXPECT_EQ(xml_text("\xed\xa0\x80|\xed\xbf\xbf"), "???|???") << "lone surrogates (CESU-8)";
  EXPECT_EQ(xml_text("\xff\xfe|\x80|\xc3"), "??|?|?") << "bytes that are not UTF-8";
  EXPECT_EQ(xml_text("\xc0\xaf|\xe0\x80\xaf"), "??|???") << "overlong forms";
  EXPECT_EQ(xml_text("\xf4\x90\x80\x80"), "????") << "past U+10FFFF";
}

TEST(TerminalText, EscapesControlsVisibly) {
  EXPECT_EQ(terminal_text("Suite.\x1b[2J\x1b]0;pwned\x07"), "Suite.\\x1b[2J\\x1b]0;pwned\\x07");
  EXPECT_EQ(terminal_text("a\tb\nc\rd\x7f"), "a\\tb\\nc\\rd\\x7f");
  EXPECT_EQ(terminal_text("csi \xc2\x9b"
                          "31m"),
            "csi \\u009b31m")
      << "C1 controls";
  EXPECT_EQ(terminal_text("\xe2\x80\xae"
                          "txt.exe"),
            "\\u202etxt.exe")
      << "bidi override";
  EXPECT_EQ(terminal_text("\xff\xc3"), "\\xff\\xc3");
}

TEST(TerminalText, LeavesPrintableTextAlone) {
  const std::string text = "Suite/Param.Case/0 caf\xc3\xa9 \xe2\x82\xac \\x1b";
  EXPECT_EQ(terminal_text(text), text);
}

TEST(TerminalColumns, CountsCharactersNotBytes) {
  EXPECT_EQ(terminal_columns("caf\xc3\xa9"), 4U);
  EXPECT_EQ(terminal_columns(""), 0U);
  EXPECT_EQ(terminal_columns("\xf0\x9f\x98\x80x"), 2U);
}

}  // namespace
}  // namespace isotest
