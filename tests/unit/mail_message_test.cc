// The report mail's bytes (RFC 5322 / 2045 / 2047 rules checked line by
// line, decoded back independently) and the templates: loading errors with
// their exact texts, and every field of every kind rendered.
#include "collector/alerting/mail_message.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/alerting/mail_templates.h"

namespace mimamori::collector {
namespace {

namespace chrono = std::chrono;

// --- An independent decoder, so the tests do not check the encoder with itself.

std::string DecodeBase64(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else {
      continue;  // '=', CR, LF
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find("\r\n", start);
    EXPECT_NE(end, std::string_view::npos) << "line without CRLF: " << text.substr(start);
    if (end == std::string_view::npos) break;
    lines.emplace_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

// Character count in UTF-8 code points (lines are limited in characters).
std::size_t Chars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Decodes a folded header value made of encoded-words (or plain text), and
// checks each word on its own: at most 75 characters, whole characters only.
std::string DecodeHeaderValue(std::string_view folded) {
  std::string unfolded;
  for (std::size_t i = 0; i < folded.size(); ++i) {
    if (folded.substr(i, 3) == "\r\n ") {
      unfolded += ' ';
      i += 2;
    } else {
      unfolded += folded[i];
    }
  }
  if (unfolded.find("=?") == std::string::npos) return unfolded;
  std::string out;
  std::size_t pos = 0;
  while (pos < unfolded.size()) {
    if (unfolded[pos] == ' ') {
      ++pos;  // whitespace between encoded-words is not part of the text
      continue;
    }
    const std::size_t end = unfolded.find("?=", pos + 10);
    EXPECT_EQ(unfolded.substr(pos, 10), "=?UTF-8?B?") << unfolded;
    if (end == std::string::npos) break;
    const std::string_view word = std::string_view(unfolded).substr(pos, end + 2 - pos);
    EXPECT_LE(word.size(), 75u) << word;
    const std::string text = DecodeBase64(word.substr(10, word.size() - 12));
    EXPECT_TRUE(IsValidUtf8(text)) << "encoded-word splits a character: " << word;
    out += text;
    pos = end + 2;
  }
  return out;
}

struct ParsedMail {
  std::vector<std::pair<std::string, std::string>> headers;  // name, raw folded value
  std::string body_base64;

  std::string Raw(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "(absent)";
  }
  int Count(std::string_view name) const {
    int n = 0;
    for (const auto& h : headers) n += h.first == name;
    return n;
  }
};

ParsedMail Parse(const std::string& bytes) {
  ParsedMail mail;
  const std::size_t split = bytes.find("\r\n\r\n");
  EXPECT_NE(split, std::string::npos);
  for (const std::string& line : Lines(bytes.substr(0, split + 2))) {
    EXPECT_LE(Chars(line), 78u) << "header line too long: " << line;
    if (!line.empty() && line[0] == ' ') {
      mail.headers.back().second += "\r\n" + line;
    } else {
      const std::size_t colon = line.find(": ");
      EXPECT_NE(colon, std::string::npos) << line;
      mail.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    }
  }
  for (const std::string& line : Lines(bytes.substr(split + 4))) {
    EXPECT_LE(line.size(), 76u) << "base64 line too long";
    mail.body_base64 += line;
  }
  return mail;
}

TimePoint Utc(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return chrono::sys_days{chrono::year{y} / chrono::month{mo} / chrono::day{d}} + chrono::hours{h} +
         chrono::minutes{mi} + chrono::seconds{s};
}

MailMessage SampleMessage() {
  MailMessage m;
  m.from = "kanshi@example.lg.jp";
  m.to = {"kiban-kanri@example.lg.jp", "jumin-system@example.lg.jp"};
  m.subject = "【第三期サーバ仮想基盤障害発生】";
  m.date = Utc(2025, 7, 1, 0, 5, 9);
  m.message_id = ReportMessageId("42", 1, "example.lg.jp");
  m.body = "関係者各位\n\n発生日時\n2025/07/01 09:05\n";
  return m;
}

// --- Encoded-words and folding

TEST(MailHeaderTest, PrintableAsciiThatFitsStaysReadable) {
  EXPECT_EQ(EncodeHeaderText("Disk full on web01", 9), "Disk full on web01");
}

TEST(MailHeaderTest, AsciiThatLooksLikeAnEncodedWordIsEncoded) {
  const std::string encoded = EncodeHeaderText("price =?x?= tag", 9);
  EXPECT_TRUE(encoded.starts_with("=?UTF-8?B?")) << encoded;
  EXPECT_EQ(DecodeHeaderValue(encoded), "price =?x?= tag");
}

TEST(MailHeaderTest, ShortJapaneseSubjectIsOneEncodedWord) {
  // 【第三期サーバ仮想基盤障害発生】 is 16 characters, 48 bytes: more than one
  // word's 42 bytes on the Subject line, so it takes two.
  const std::string encoded = EncodeHeaderText("【基盤障害発生】", 9);
  EXPECT_EQ(encoded, "=?UTF-8?B?44CQ5Z+655uk6Zqc5a6z55m655Sf44CR?=");
}

TEST(MailHeaderTest, LongJapaneseSubjectsFoldWithinLimitsAndNeverSplitACharacter) {
  // 1-, 2-, 3- and 4-byte characters in every alignment against the 42/45
  // byte chunk sizes.
  const std::vector<std::string> alphabet = {"a", "é", "障", "🖥", "【", "】", " "};
  for (std::size_t length = 1; length <= 130; ++length) {
    std::string subject;
    for (std::size_t i = 0; i < length; ++i)
      subject += alphabet[(i * 5 + length) % alphabet.size()];
    const std::string encoded = EncodeHeaderText(subject, 9);
    const std::vector<std::string> lines = Lines(encoded + "\r\n");
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const std::size_t used = i == 0 ? 9 : 0;  // "Subject: " on the first line
      EXPECT_LE(used + lines[i].size(), 78u) << "length " << length << " line " << i;
      if (i > 0) {
        EXPECT_EQ(lines[i][0], ' ');
      }
    }
    EXPECT_EQ(DecodeHeaderValue(encoded), subject) << "length " << length;
  }
}

TEST(MailHeaderTest, EncodedWordsAreAsLongAsTheLineAllows) {
  const std::string subject(60, 'x');
  const std::string encoded = EncodeHeaderText("障" + subject, 9);
  const std::vector<std::string> lines = Lines(encoded + "\r\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].size(), 68u);           // 42 bytes: 56 base64 + 12; 9 + 68 <= 78
  EXPECT_EQ(lines[1].size(), 1u + 12 + 28);  // the other 21 bytes
}

// --- Base64 body

TEST(MailBodyTest, Base64Vectors) {
  EXPECT_EQ(Base64Lines(""), "");
  EXPECT_EQ(Base64Lines("f"), "Zg==\r\n");
  EXPECT_EQ(Base64Lines("fo"), "Zm8=\r\n");
  EXPECT_EQ(Base64Lines("foo"), "Zm9v\r\n");
  EXPECT_EQ(Base64Lines("foob"), "Zm9vYg==\r\n");
  EXPECT_EQ(Base64Lines("発生"), "55m655Sf\r\n");
}

TEST(MailBodyTest, LinesOf76) {
  std::string data;
  for (int i = 0; i < 300; ++i) data += static_cast<char>(i * 7);
  const std::string b64 = Base64Lines(data);
  const std::vector<std::string> lines = Lines(b64);
  ASSERT_EQ(lines.size(), 6u);  // 300 bytes = 5 * 57 + 15
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i].size(), 76u);
  EXPECT_EQ(lines.back().size(), 20u);
  EXPECT_EQ(DecodeBase64(b64), data);
}

// --- Whole messages

TEST(MailMessageTest, HeadersInOrderWithJapaneseSubjectAndBase64Body) {
  const EncodedMail mail = EncodeMail(SampleMessage());
  ASSERT_TRUE(mail.ok()) << mail.error;
  const std::string header = mail.bytes.substr(0, mail.bytes.find("\r\n\r\n") + 4);
  EXPECT_EQ(header,
            "Date: Tue, 01 Jul 2025 09:05:09 +0900\r\n"
            "From: kanshi@example.lg.jp\r\n"
            "To: kiban-kanri@example.lg.jp, jumin-system@example.lg.jp\r\n"
            "Subject: =?UTF-8?B?44CQ56ys5LiJ5pyf44K144O844OQ5Luu5oOz5Z+655uk6Zqc5a6z55m6?=\r\n"
            " =?UTF-8?B?55Sf44CR?=\r\n"
            "Message-ID: <mimamori.incident-42.report-1@example.lg.jp>\r\n"
            "Auto-Submitted: auto-generated\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "\r\n");
  const ParsedMail parsed = Parse(mail.bytes);
  EXPECT_EQ(DecodeHeaderValue(parsed.Raw("Subject")), "【第三期サーバ仮想基盤障害発生】");
  // The body is canonical text: CRLF line ends.
  EXPECT_EQ(DecodeBase64(parsed.body_base64), "関係者各位\r\n\r\n発生日時\r\n2025/07/01 09:05\r\n");
  EXPECT_EQ(parsed.Count("Cc"), 0);
  EXPECT_EQ(parsed.Count("In-Reply-To"), 0);
  EXPECT_EQ(parsed.Count("References"), 0);
}

TEST(MailMessageTest, LongBodyIsCanonicalisedAndSplitInto76) {
  MailMessage m = SampleMessage();
  m.body.clear();
  for (int i = 0; i < 40; ++i)
    m.body += "影響を受けている仮想マシン vm" + std::to_string(i) + "\r\n";
  m.body += "no final newline\rold mac line";
  const EncodedMail mail = EncodeMail(m);
  ASSERT_TRUE(mail.ok()) << mail.error;
  std::string expected;
  for (int i = 0; i < 40; ++i)
    expected += "影響を受けている仮想マシン vm" + std::to_string(i) + "\r\n";
  expected += "no final newline\r\nold mac line\r\n";
  EXPECT_EQ(DecodeBase64(Parse(mail.bytes).body_base64), expected);
}

TEST(MailMessageTest, DateIsJapanStandardTimeAcrossMidnightAndNewYear) {
  EXPECT_EQ(FormatMailDate(Utc(2024, 12, 31, 15, 30)), "Wed, 01 Jan 2025 00:30:00 +0900");
  EXPECT_EQ(FormatMailDate(Utc(2024, 2, 28, 15, 0)), "Thu, 29 Feb 2024 00:00:00 +0900");
  EXPECT_EQ(FormatMailDate(Utc(2025, 7, 6, 14, 59, 59)), "Sun, 06 Jul 2025 23:59:59 +0900");
  // Sub-second precision is dropped, not rounded up into the next second.
  EXPECT_EQ(FormatMailDate(Utc(2025, 7, 6, 14, 59, 59) + chrono::milliseconds{999}),
            "Sun, 06 Jul 2025 23:59:59 +0900");
}

TEST(MailMessageTest, MessageIdIsDeterministic) {
  EXPECT_EQ(ReportMessageId("42", 3, "example.lg.jp"),
            "<mimamori.incident-42.report-3@example.lg.jp>");
  EXPECT_EQ(ReportMessageId("42", 3, "example.lg.jp"), ReportMessageId("42", 3, "example.lg.jp"));
  EXPECT_EQ(ReportMessageId("2025-0001", 1, "kiban.local"),
            "<mimamori.incident-2025-0001.report-1@kiban.local>");
  EXPECT_EQ(MessageId("suppression-7.start", "example.lg.jp"),
            "<mimamori.suppression-7.start@example.lg.jp>");
  // Anything that could break the header or the ID's syntax gives no ID.
  EXPECT_EQ(ReportMessageId("4 2", 1, "example.lg.jp"), "");
  EXPECT_EQ(ReportMessageId("42>\r\nBcc: x@y", 1, "example.lg.jp"), "");
  EXPECT_EQ(ReportMessageId("42", 0, "example.lg.jp"), "");
  EXPECT_EQ(ReportMessageId("42", 1, "exa mple.jp"), "");
  EXPECT_EQ(ReportMessageId("42", 1, ""), "");
  EXPECT_EQ(ReportMessageId("", 1, "example.lg.jp"), "");
  EXPECT_EQ(MessageId("a..b", "example.lg.jp"), "");
}

TEST(MailMessageTest, ContinuingReportsPointAtTheFirstReport) {
  MailMessage m = SampleMessage();
  m.message_id = ReportMessageId("42", 3, "example.lg.jp");
  m.thread_root = ReportMessageId("42", 1, "example.lg.jp");
  m.cc = {"ict-center@example.lg.jp"};
  const EncodedMail mail = EncodeMail(m);
  ASSERT_TRUE(mail.ok()) << mail.error;
  const ParsedMail parsed = Parse(mail.bytes);
  EXPECT_EQ(parsed.Raw("Message-ID"), "<mimamori.incident-42.report-3@example.lg.jp>");
  EXPECT_EQ(parsed.Raw("In-Reply-To"), "<mimamori.incident-42.report-1@example.lg.jp>");
  EXPECT_EQ(parsed.Raw("References"), "<mimamori.incident-42.report-1@example.lg.jp>");
  EXPECT_EQ(parsed.Raw("Cc"), "ict-center@example.lg.jp");
  // The same inputs give the same bytes: a resend is the same report.
  EXPECT_EQ(EncodeMail(m).bytes, mail.bytes);
}

TEST(MailMessageTest, ManyRecipientsFoldAtCommas) {
  MailMessage m = SampleMessage();
  m.to.clear();
  for (int i = 0; i < 12; ++i)
    m.to.push_back("system-owner-" + std::to_string(i) + "@example.lg.jp");
  const EncodedMail mail = EncodeMail(m);
  ASSERT_TRUE(mail.ok()) << mail.error;
  const ParsedMail parsed = Parse(mail.bytes);  // checks every line <= 78
  std::string to = parsed.Raw("To");
  EXPECT_NE(to.find("\r\n "), std::string::npos);
  std::string unfolded;
  for (char c : to) {
    if (c != '\r' && c != '\n') unfolded += c;
  }
  std::string expected;
  for (const std::string& a : m.to) expected += (expected.empty() ? "" : ", ") + a;
  EXPECT_EQ(unfolded, expected);
}

TEST(MailMessageTest, JapaneseDisplayNameIsEncoded) {
  MailMessage m = SampleMessage();
  m.from_name = "サーバ仮想基盤 監視システム";
  const EncodedMail mail = EncodeMail(m);
  ASSERT_TRUE(mail.ok()) << mail.error;
  const std::string from = Parse(mail.bytes).Raw("From");
  ASSERT_TRUE(from.ends_with(" <kanshi@example.lg.jp>")) << from;
  std::string name = from.substr(0, from.size() - 23);
  if (name.ends_with("\r\n")) name.resize(name.size() - 2);  // the address went on its own line
  EXPECT_EQ(DecodeHeaderValue(name), "サーバ仮想基盤 監視システム");

  m.from_name = "mimamori";
  const EncodedMail ascii = EncodeMail(m);
  EXPECT_EQ(Parse(ascii.bytes).Raw("From"), "\"mimamori\" <kanshi@example.lg.jp>");
}

TEST(MailMessageTest, HeaderInjectionAndBadValuesAreRefused) {
  struct Case {
    const char* what;
    void (*change)(MailMessage&);
    const char* error;
  };
  const Case cases[] = {
      {"subject LF", [](MailMessage& m) { m.subject = "障害\nBcc: evil@example.com"; },
       "subject contains a line break"},
      {"subject CR", [](MailMessage& m) { m.subject = "障害\rBcc: evil@example.com"; },
       "subject contains a line break"},
      {"subject control", [](MailMessage& m) { m.subject = std::string("a\0b", 3); },
       "subject contains a control character"},
      {"subject utf-8", [](MailMessage& m) { m.subject = "\xE9\x9A"; },
       "subject is not valid UTF-8"},
      {"subject empty", [](MailMessage& m) { m.subject.clear(); }, "subject is empty"},
      {"to CRLF", [](MailMessage& m) { m.to.push_back("a@example.jp\r\nBcc: evil@example.com"); },
       "To address contains a line break"},
      {"cc bad", [](MailMessage& m) { m.cc.push_back("not an address"); },
       "Cc address \"not an address\" is not valid"},
      {"no to", [](MailMessage& m) { m.to.clear(); }, "no To address"},
      {"from CRLF", [](MailMessage& m) { m.from = "a@b.jp\r\nX: y"; },
       "From address contains a line break"},
      {"from bad", [](MailMessage& m) { m.from = "kanshi"; },
       "From address \"kanshi\" is not valid"},
      {"from name", [](MailMessage& m) { m.from_name = "監視\r\nBcc: evil@example.com"; },
       "From name contains a line break"},
      {"message id CRLF", [](MailMessage& m) { m.message_id = "<a@b>\r\nBcc: e@x"; },
       "Message-ID contains a line break"},
      {"message id form", [](MailMessage& m) { m.message_id = "a@b"; },
       "Message-ID \"a@b\" is not of the form <left@right>"},
      {"root CRLF", [](MailMessage& m) { m.thread_root = "<a@b>\nBcc: e@x"; },
       "thread root Message-ID contains a line break"},
      {"body utf-8", [](MailMessage& m) { m.body = "\xFF"; }, "body is not valid UTF-8"},
  };
  for (const Case& c : cases) {
    MailMessage m = SampleMessage();
    c.change(m);
    const EncodedMail mail = EncodeMail(m);
    EXPECT_EQ(mail.error, c.error) << c.what;
    EXPECT_EQ(mail.bytes, "") << c.what;
  }
}

TEST(MailMessageTest, AddressValidation) {
  for (const char* ok : {"a@b", "kanshi@example.lg.jp", "first.last+tag@sub-domain.example.jp",
                         "o'brien@example.com"}) {
    EXPECT_TRUE(IsValidMailAddress(ok)) << ok;
  }
  for (const char* bad : {"", "@example.jp", "a@", "a", "a b@example.jp", "a@exa mple.jp",
                          "a@@example.jp", ".a@example.jp", "a.@example.jp", "a..b@example.jp",
                          "a@-example.jp", "a@example..jp", "<a@example.jp>", "a,b@example.jp",
                          "\"a\"@example.jp", "山田@example.jp", "a@[127.0.0.1]"}) {
    EXPECT_FALSE(IsValidMailAddress(bad)) << bad;
  }
}

TEST(MailMessageTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("第三期 🖥 é"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE9\x9A"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));
}

// --- Templates

std::string Join(const std::vector<std::string>& errors) {
  std::string out;
  for (const std::string& e : errors) out += e + "\n";
  return out;
}

TEST(MailTemplateTest, LoadingErrorsNameFileLineAndTheKnownNames) {
  struct Case {
    MailKind kind;
    std::string text;
    std::string errors;
  };
  const Case cases[] = {
      {MailKind::kFirstReport,
       "Subject: 【{{platform_name}}障害発生】\n\n発生日時 {{occured_at}}\n",
       "first-report.txt:3: unknown placeholder {{occured_at}} (known: platform_name, "
       "incident_id, occurred_at, affected_vms)\n"},
      {MailKind::kSuppressionStart, "Subject: {{platform}}\n\n{{system_name}}\n{{x}} {{y}}\n",
       "suppression-start.txt:1: unknown placeholder {{platform}} (known: platform_name, "
       "system_name, suppression_start, suppression_end)\n"
       "suppression-start.txt:4: unknown placeholder {{x}} (known: platform_name, "
       "system_name, suppression_start, suppression_end)\n"
       "suppression-start.txt:4: unknown placeholder {{y}} (known: platform_name, "
       "system_name, suppression_start, suppression_end)\n"},
      {MailKind::kFirstReport, "【障害発生】\n\nbody\n",
       "first-report.txt:1: first line must be \"Subject: ...\"\n"},
      {MailKind::kFirstReport, "", "first-report.txt:1: first line must be \"Subject: ...\"\n"},
      {MailKind::kFirstReport, "Subject:   \n\nbody\n",
       "first-report.txt:1: the Subject is empty\n"},
      {MailKind::kFirstReport, "Subject: x\nbody\n",
       "first-report.txt:2: expected a blank line after the Subject line\n"},
      {MailKind::kFirstReport, "Subject: x\n\n\n  \n", "first-report.txt:3: the body is empty\n"},
      {MailKind::kWorkDone, "Subject: x\n\n作業日時 {{work_at\n",
       "work-done.txt:3: unterminated placeholder \"{{work_at\" (expected \"}}\" on the same "
       "line)\n"},
      {MailKind::kWorkDone, "Subject: x\n\n\xFF\n", "work-done.txt:3: not valid UTF-8\n"},
      // A placeholder of another kind is unknown here: the final report has
      // no {{expected_recovery}}.
      {MailKind::kFinalReport, "Subject: x\n\n{{expected_recovery}}\n",
       "final-report.txt:3: unknown placeholder {{expected_recovery}} (known: platform_name, "
       "incident_id, occurred_at, symptom, business_impact, recovered_at, presumed_cause, "
       "actions)\n"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> errors;
    const auto parsed = MailTemplate::Parse(c.kind, c.text, TemplateFileName(c.kind), errors);
    EXPECT_FALSE(parsed.has_value()) << c.text;
    EXPECT_EQ(Join(errors), c.errors) << c.text;
  }
}

TEST(MailTemplateTest, WindowsEditorsBomAndCrlfAreAccepted) {
  std::vector<std::string> errors;
  const auto parsed =
      MailTemplate::Parse(MailKind::kFirstReport,
                          "\xEF\xBB\xBFSubject: 【{{ platform_name }}障害発生】\r\n\r\n"
                          "発生日時: {{occurred_at}}\r\n影響: {{affected_vms}}\r\n",
                          "first-report.txt", errors);
  ASSERT_TRUE(parsed.has_value()) << Join(errors);
  const RenderedMail r = parsed->Render({{"platform_name", "基盤"},
                                         {"incident_id", "42"},
                                         {"occurred_at", "2025/07/01 09:05"},
                                         {"affected_vms", "vm01"}});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.subject, "【基盤障害発生】");
  EXPECT_EQ(r.body, "発生日時: 2025/07/01 09:05\n影響: vm01\n");
}

TEST(MailTemplateTest, MissingFilesAreErrors) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mimamori-templates-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "first-report.txt") << "Subject: x\n\n{{nope}}\n";
  const MailTemplatesLoadResult loaded = MailTemplates::Load(dir);
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(loaded.templates.has_value());
  ASSERT_EQ(loaded.errors.size(), 7u) << Join(loaded.errors);
  EXPECT_EQ(loaded.errors[0], (dir / "first-report.txt").string() +
                                  ":3: unknown placeholder {{nope}} (known: platform_name, "
                                  "incident_id, occurred_at, affected_vms)");
  EXPECT_EQ(loaded.errors[1],
            (dir / "continuing-report.txt").string() + ": cannot read: No such file or directory");
}

std::filesystem::path DefaultTemplates() {
#if defined(MIMAMORI_SOURCE_DIR)
  return std::filesystem::path(MIMAMORI_SOURCE_DIR) / "packaging" / "templates";
#else
  return std::filesystem::path(MIMAMORI_FIXTURES) / ".." / ".." / "packaging" / "templates";
#endif
}

// A distinct value per field, so each one is found in exactly its place.
MailValues AllFields(MailKind kind) {
  MailValues values;
  for (const MailField& f : FieldsOf(kind))
    values[std::string(f.name)] = "〈" + std::string(f.name) + "〉";
  values["platform_name"] = "第三期サーバ仮想基盤";
  return values;
}

// Each label followed, on the next line, by its field's value.
void ExpectLabelled(const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& labels_and_fields,
                    const MailValues& values) {
  for (const auto& [label, field] : labels_and_fields) {
    const std::string expected = "■" + label + "\n" + values.at(field) + "\n";
    EXPECT_NE(body.find(expected), std::string::npos) << label << " in:\n" << body;
  }
}

class DefaultTemplatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MailTemplatesLoadResult loaded = MailTemplates::Load(DefaultTemplates());
    ASSERT_TRUE(loaded.templates.has_value()) << Join(loaded.errors);
    templates_.emplace(std::move(*loaded.templates));
  }
  RenderedMail Render(MailKind kind, const MailValues& values) {
    RenderedMail r = templates_->Render(kind, values);
    EXPECT_TRUE(r.ok()) << r.error;
    return r;
  }
  std::optional<MailTemplates> templates_;
};

TEST_F(DefaultTemplatesTest, FirstReport) {
  const MailValues v = AllFields(MailKind::kFirstReport);
  const RenderedMail r = Render(MailKind::kFirstReport, v);
  EXPECT_EQ(r.subject, "【第三期サーバ仮想基盤障害発生】");
  ExpectLabelled(r.body,
                 {{"発生日時", "occurred_at"}, {"影響を受けている仮想マシン", "affected_vms"}}, v);
  EXPECT_NE(r.body.find("第一報"), std::string::npos);
  EXPECT_NE(r.body.find("インシデント番号: 〈incident_id〉"), std::string::npos);
}

TEST_F(DefaultTemplatesTest, ContinuingReport) {
  const MailValues v = AllFields(MailKind::kContinuingReport);
  const RenderedMail r = Render(MailKind::kContinuingReport, v);
  EXPECT_EQ(r.subject, "【第三期サーバ仮想基盤障害発生】");
  ExpectLabelled(r.body,
                 {{"発生日時", "occurred_at"},
                  {"現象", "symptom"},
                  {"業務への影響", "business_impact"},
                  {"復旧予定時間", "expected_recovery"},
                  {"想定される原因", "presumed_cause"},
                  {"対応状況（経緯）", "actions"}},
                 v);
  EXPECT_NE(r.body.find("継続報"), std::string::npos);
}

TEST_F(DefaultTemplatesTest, FinalReport) {
  const MailValues v = AllFields(MailKind::kFinalReport);
  const RenderedMail r = Render(MailKind::kFinalReport, v);
  EXPECT_EQ(r.subject, "【第三期サーバ仮想基盤障害発生】");
  ExpectLabelled(r.body,
                 {{"発生日時", "occurred_at"},
                  {"現象", "symptom"},
                  {"業務への影響", "business_impact"},
                  {"復旧完了時間", "recovered_at"},
                  {"想定される原因", "presumed_cause"},
                  {"対応状況（経緯）", "actions"}},
                 v);
  EXPECT_NE(r.body.find("最終報"), std::string::npos);
}

TEST_F(DefaultTemplatesTest, WorkStartAndDone) {
  for (MailKind kind : {MailKind::kWorkStart, MailKind::kWorkDone}) {
    const MailValues v = AllFields(kind);
    const RenderedMail r = Render(kind, v);
    // The documents keep 障害発生 in the work notices' subject: they belong
    // to the failure's series of mails.
    EXPECT_EQ(r.subject, kind == MailKind::kWorkStart
                             ? "【第三期サーバ仮想基盤障害発生】復旧作業開始連絡"
                             : "【第三期サーバ仮想基盤障害発生】復旧作業完了連絡");
    ExpectLabelled(
        r.body,
        {{kind == MailKind::kWorkStart ? "作業日時（予定）" : "作業日時（実績）", "work_at"},
         {"作業担当者", "worker"},
         {"作業内容", "work_content"},
         {"業務影響", "business_impact"}},
        v);
    EXPECT_NE(r.body.find("インシデント番号: 〈incident_id〉"), std::string::npos);
  }
}

TEST_F(DefaultTemplatesTest, SuppressionStartAndMonitoringResumed) {
  MailValues v = AllFields(MailKind::kSuppressionStart);
  v["suppression_start"] = FormatYymmddHhmm(Utc(2025, 7, 1, 0, 0));  // 09:00 JST
  v["suppression_end"] = FormatYymmddHhmm(Utc(2025, 7, 1, 8, 0));    // 17:00 JST
  v["system_name"] = "住民情報システム";
  EXPECT_EQ(v["suppression_start"], "250701 09:00");

  const RenderedMail start = Render(MailKind::kSuppressionStart, v);
  EXPECT_EQ(start.subject, "【第三期サーバ仮想基盤】監視一時抑止開始連絡");
  EXPECT_NE(start.body.find("250701 09:00 より、監視一時抑止を開始します。"), std::string::npos)
      << start.body;
  ExpectLabelled(start.body, {{"対象システム名", "system_name"}}, v);
  EXPECT_NE(start.body.find("■監視抑止期間\n250701 09:00～250701 17:00\n"), std::string::npos);

  const RenderedMail resumed = Render(MailKind::kMonitoringResumed, v);
  EXPECT_EQ(resumed.subject, "【第三期サーバ仮想基盤】監視再開連絡");
  EXPECT_NE(resumed.body.find("250701 17:00 より、監視を再開します。"), std::string::npos)
      << resumed.body;
  ExpectLabelled(resumed.body, {{"対象システム名", "system_name"}}, v);
  EXPECT_NE(resumed.body.find("■監視抑止期間\n250701 09:00～250701 17:00\n"), std::string::npos);
}

TEST_F(DefaultTemplatesTest, EveryTemplateUsesEveryFieldOfItsKind) {
  for (MailKind kind : kAllMailKinds) {
    const MailValues v = AllFields(kind);
    const RenderedMail r = Render(kind, v);
    for (const MailField& f : FieldsOf(kind)) {
      const std::string& value = v.at(std::string(f.name));
      EXPECT_TRUE(r.body.find(value) != std::string::npos ||
                  r.subject.find(value) != std::string::npos)
          << TemplateFileName(kind) << " does not show {{" << f.name << "}}";
    }
    EXPECT_EQ(r.body.find("{{"), std::string::npos) << TemplateFileName(kind);
  }
}

TEST_F(DefaultTemplatesTest, LaterFactsDefaultButSystemFactsAreRequired) {
  MailValues v = AllFields(MailKind::kContinuingReport);
  v["expected_recovery"] = "";
  v.erase("presumed_cause");
  v["actions"] = " \n";
  const RenderedMail r = Render(MailKind::kContinuingReport, v);
  ExpectLabelled(
      r.body,
      {{"復旧予定時間", "expected_recovery"},
       {"想定される原因", "presumed_cause"},
       {"対応状況（経緯）", "actions"}},
      {{"expected_recovery", "未定"}, {"presumed_cause", "調査中"}, {"actions", "調査中"}});

  const std::string dir = DefaultTemplates().string() + "/";
  MailValues missing = AllFields(MailKind::kFirstReport);
  missing.erase("affected_vms");
  EXPECT_EQ(templates_->Render(MailKind::kFirstReport, missing).error,
            dir + "first-report.txt: no value for {{affected_vms}}");

  MailValues blank = AllFields(MailKind::kFinalReport);
  blank["recovered_at"] = "  ";
  EXPECT_EQ(templates_->Render(MailKind::kFinalReport, blank).error,
            dir + "final-report.txt: {{recovered_at}} is empty and must be filled in");

  MailValues work = AllFields(MailKind::kWorkStart);
  work["business_impact"] = "";
  EXPECT_EQ(templates_->Render(MailKind::kWorkStart, work).error,
            dir + "work-start.txt: {{business_impact}} is empty and must be filled in");

  MailValues typo = AllFields(MailKind::kSuppressionStart);
  typo["system"] = "x";
  EXPECT_EQ(templates_->Render(MailKind::kSuppressionStart, typo).error,
            dir +
                "suppression-start.txt: value given for {{system}}, which is not a field of "
                "this mail");

  MailValues injected = AllFields(MailKind::kMonitoringResumed);
  injected["platform_name"] = "基盤\r\nBcc: evil@example.com";
  EXPECT_EQ(templates_->Render(MailKind::kMonitoringResumed, injected).error,
            dir +
                "monitoring-resumed.txt: {{platform_name}} is used in the Subject but has a "
                "line break");
}

TEST(MailTemplateTest, ReportTimeFormats) {
  EXPECT_EQ(FormatReportTime(Utc(2024, 12, 31, 15, 4, 59)), "2025/01/01 00:04");
  EXPECT_EQ(FormatYymmddHhmm(Utc(2024, 12, 31, 15, 4, 59)), "250101 00:04");
  EXPECT_EQ(FormatYymmddHhmm(Utc(2009, 3, 9, 23, 0)), "090310 08:00");
}

}  // namespace
}  // namespace mimamori::collector
