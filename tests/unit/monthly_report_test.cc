// The monthly report and the ledger's resource usage, against a real SQLite
// file in a temporary directory. Every figure is counted by hand in the
// comments next to the data that makes it.
#include "collector/alerting/monthly_report.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/calendar/business_calendar.h"
#include "collector/inventory/inventory.h"
#include "collector/ledger/ledger.h"
#include "tests/support/test_ledger.h"

namespace mimamori::collector {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

/// 2025-MM-DD hh:mm in Tokyo time. No test reads the clock.
LedgerTime Tokyo(unsigned month, unsigned day, int hour, int minute = 0) {
  return BusinessCalendar::FromTokyo(
      std::chrono::local_seconds(std::chrono::local_days(
          std::chrono::year(2025) / std::chrono::month(month) / std::chrono::day(day))) +
      hours(hour) + minutes(minute));
}

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

/// A minimal RFC 4180 reader, to check the writer by reading its output back.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      records.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      records.back().push_back(std::move(field));
      field.clear();
      records.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (records.back().empty() && field.empty()) records.pop_back();
  return records;
}

/// Terminal columns, for the Japanese text used here: every 3-byte UTF-8
/// character in it is a wide one.
std::size_t Columns(const std::string& line) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < line.size();) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c >= 0xE0) {
      width += 2;
      i += 3;
    } else {
      width += 1;
      i += c >= 0xC0 ? 2 : 1;
    }
  }
  return width;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

constexpr const char* kOddNode = "会計,\"サーバ\"01";  // a comma, quotes, Japanese

class MonthlyReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "monthly_report_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::string skip;
    path_ = ::mimamori::testing::TestLedgerLocation(dir_, &skip);
    if (path_.empty()) GTEST_SKIP() << skip;

    inventory_.platform_name = "第三期サーバ仮想基盤";
    inventory_.systems = {
        System{"sysA1", ServiceLevel::kA, {}, {}}, System{"sysA2", ServiceLevel::kA, {}, {}},
        System{"sysB", ServiceLevel::kB, {}, {}}, System{"会計システム", ServiceLevel::kC, {}, {}}};
    for (auto [name, system] : std::vector<std::pair<std::string, std::string>>{
             {"web01", "sysA1"}, {"db01", "sysA1"}, {"b01", "sysB"}, {kOddNode, "会計システム"}}) {
      Node node;
      node.name = name;
      node.system = system;
      inventory_.nodes.push_back(std::move(node));
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Ledger OpenOrDie(LedgerOptions options = {}) {
    auto ledger = Ledger::Open(path_, std::move(options));
    if (!ledger) ADD_FAILURE() << ledger.error().message;
    return std::move(*ledger);
  }

  static IncidentId Open(Ledger& ledger, std::string level, LedgerTime detected) {
    NewIncident in;
    in.scope = level.empty() ? IncidentScope::kPlatform : IncidentScope::kVm;
    in.title = "failure at level " + (level.empty() ? std::string("platform") : level);
    in.priority = Priority::kHigh;
    in.service_level = std::move(level);
    in.detected_at = detected;
    in.opened_at = detected;
    auto id = ledger.OpenIncident(in);
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : 0;
  }

  static void Close(Ledger& ledger, IncidentId id, LedgerTime at) {
    EXPECT_EQ(ledger.CloseIncident(id, at, "suzuki", "recovered"), std::nullopt);
  }

  /// Queues a mail report; sends it at `sent` when given.
  static ReportId Queue(Ledger& ledger, IncidentId incident, int number, ReportKind kind,
                        LedgerTime due, std::optional<LedgerTime> sent) {
    NewReport r;
    r.incident_id = incident;
    r.report_number = number;
    r.kind = kind;
    r.recipients = {"manager@example.jp"};
    r.subject = "【第三期サーバ仮想基盤障害発生】";
    r.due_at = due;
    r.created_at = due - minutes(15);
    auto id = ledger.EnqueueReport(r);
    EXPECT_TRUE(id) << id.error().message;
    if (!id) return 0;
    if (sent) {
      EXPECT_TRUE(ledger.ClaimForSending(*id, *sent));
      EXPECT_EQ(ledger.MarkSent(*id, *sent, "250 Ok"), std::nullopt);
    }
    return *id;
  }

  static SuppressionId Suppress(Ledger& ledger, SuppressionTarget kind, std::string target,
                                LedgerTime start, LedgerTime end) {
    auto id = ledger.AddSuppression(
        {kind, std::move(target), start, end, "planned work", "owner", start - hours(24)});
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : 0;
  }

  /// April 2025 (Tokyo): 30 days = 720 h; 21 business days (8 weekend days
  /// and 昭和の日 on Tuesday 29 April) x 8 h 45 min = 11,025 min.
  void BuildApril(Ledger& ledger) {
    // --- A: 2 systems, T = 2 x 720 h = 86,400 min.
    // Planned: sysA1 10:00-12:00 and its node web01 11:00-13:00 on 10 April
    // merge into 180 min; db01 (sysA1) from 31 March 23:00 to 1 April 01:00
    // counts 60 min in April; sysA2 10:00-14:00 on 20 April, cancelled at
    // 11:00, counts 60 min. Planned = 300 min.
    Suppress(ledger, SuppressionTarget::kSystem, "sysA1", Tokyo(4, 10, 10), Tokyo(4, 10, 12));
    Suppress(ledger, SuppressionTarget::kNode, "web01", Tokyo(4, 10, 11), Tokyo(4, 10, 13));
    Suppress(ledger, SuppressionTarget::kNode, "db01", Tokyo(3, 31, 23), Tokyo(4, 1, 1));
    SuppressionId cancelled =
        Suppress(ledger, SuppressionTarget::kSystem, "sysA2", Tokyo(4, 20, 10), Tokyo(4, 20, 14));
    EXPECT_EQ(ledger.CancelSuppression(cancelled, Tokyo(4, 20, 11)), std::nullopt);
    // A suppression of a node not in the inventory has no level: ignored.
    Suppress(ledger, SuppressionTarget::kNode, "retired01", Tokyo(4, 3, 0), Tokyo(4, 4, 0));
    // Outage: detected in March (31 March 23:30, a detection of March), 30
    // min in April; 45 min on 15 April with its first report late (due
    // 10:15, sent 10:20) and its final report refused; from 30 April 23:00
    // to 1 May 01:00 Tokyo, 60 min in April, first report on time. In UTC
    // the first and the last both lie inside one UTC day of their month: a
    // UTC month would count them wrongly. Outage = 135 min; detections 2,
    // late 1.
    Close(ledger, Open(ledger, "A", Tokyo(3, 31, 23, 30)), Tokyo(4, 1, 0, 30));
    IncidentId a2 = Open(ledger, "A", Tokyo(4, 15, 10));
    Queue(ledger, a2, 1, ReportKind::kFirst, Tokyo(4, 15, 10, 15), Tokyo(4, 15, 10, 20));
    Close(ledger, a2, Tokyo(4, 15, 10, 45));
    ReportId refused = Queue(ledger, a2, 2, ReportKind::kFinal, Tokyo(4, 15, 11), std::nullopt);
    EXPECT_TRUE(ledger.ClaimForSending(refused, Tokyo(4, 15, 11)));
    EXPECT_EQ(ledger.MarkFailedPermanently(refused, "550 no such user"), std::nullopt);
    IncidentId a3 = Open(ledger, "A", Tokyo(4, 30, 23));
    Queue(ledger, a3, 1, ReportKind::kFirst, Tokyo(4, 30, 23, 15), Tokyo(4, 30, 23, 10));
    Close(ledger, a3, Tokyo(5, 1, 1));

    // --- B: 1 system, T = 43,200 min. Still open since 20 April 09:00:
    // counts to the month's end, 10 days 15 h = 15,300 min. No report due:
    // not late.
    Open(ledger, "B", Tokyo(4, 20, 9));

    // --- C: 1 system, T = 11,025 min (business hours only).
    // Planned: its node on Saturday 5 April 10:00-12:00 (outside business
    // hours: 0) and Monday 7 April 08:00-10:00 (09:00-10:00: 60 min).
    Suppress(ledger, SuppressionTarget::kNode, kOddNode, Tokyo(4, 5, 10), Tokyo(4, 5, 12));
    Suppress(ledger, SuppressionTarget::kNode, kOddNode, Tokyo(4, 7, 8), Tokyo(4, 7, 10));
    // Outage from Friday 11 April 17:00 to Monday 14 April 10:00: 65 h of
    // wall clock (3,900 min), of which business hours are 17:00-17:45 and
    // 09:00-10:00 = 105 min. Its first report was due and never sent: late.
    IncidentId c1 = Open(ledger, "C", Tokyo(4, 11, 17));
    Queue(ledger, c1, 1, ReportKind::kFirst, Tokyo(4, 11, 18), std::nullopt);
    Close(ledger, c1, Tokyo(4, 14, 10));

    // --- platform-wide: 10 min on 2 April.
    Close(ledger, Open(ledger, "", Tokyo(4, 2, 1)), Tokyo(4, 2, 1, 10));
    // In May: outside the month.
    Open(ledger, "C", Tokyo(5, 2, 10));
  }

  std::string dir_;
  std::string path_;
  Inventory inventory_;
};

TEST_F(MonthlyReportTest, AvailabilityAndIndicatorsMatchAHandCount) {
  Ledger ledger = OpenOrDie();
  BuildApril(ledger);
  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report) << report.error().message;

  EXPECT_EQ(report->from, Tokyo(4, 1, 0));
  EXPECT_EQ(report->to, Tokyo(5, 1, 0));
  EXPECT_EQ(report->business_hours, minutes(11025));
  ASSERT_EQ(report->levels.size(), 5u);

  const MonthlyLevelRow& a = report->levels[0];
  EXPECT_EQ(a.level, "A");
  EXPECT_EQ(a.systems, 2);
  EXPECT_EQ(a.service_time, minutes(86400));
  EXPECT_EQ(a.planned_downtime, minutes(300));
  EXPECT_EQ(a.outage, minutes(135));
  EXPECT_EQ(a.outage_in_service_hours, minutes(135));
  ASSERT_TRUE(a.availability_percent);
  EXPECT_DOUBLE_EQ(*a.availability_percent, 100.0 * (86100 - 135) / 86100);
  EXPECT_EQ(a.detections, 2);
  EXPECT_EQ(a.detections_previous_month, 1);
  EXPECT_EQ(a.first_report_late, 1);
  EXPECT_DOUBLE_EQ(a.monitoring_operation_percent, 50.0);

  const MonthlyLevelRow& b = report->levels[1];
  EXPECT_EQ(b.level, "B");
  EXPECT_EQ(b.systems, 1);
  EXPECT_EQ(b.service_time, minutes(43200));
  EXPECT_EQ(b.planned_downtime, minutes(0));
  EXPECT_EQ(b.outage, minutes(15300));
  ASSERT_TRUE(b.availability_percent);
  EXPECT_DOUBLE_EQ(*b.availability_percent, 100.0 * (43200 - 15300) / 43200);
  EXPECT_EQ(b.detections, 1);
  EXPECT_DOUBLE_EQ(b.monitoring_operation_percent, 100.0);

  const MonthlyLevelRow& c = report->levels[2];
  EXPECT_EQ(c.level, "C");
  EXPECT_EQ(c.systems, 1);
  EXPECT_EQ(c.service_time, minutes(11025));
  EXPECT_EQ(c.planned_downtime, minutes(60));
  EXPECT_EQ(c.outage, minutes(3900));
  EXPECT_EQ(c.outage_in_service_hours, minutes(105));
  ASSERT_TRUE(c.availability_percent);
  EXPECT_DOUBLE_EQ(*c.availability_percent, 100.0 * (10965 - 105) / 10965);
  EXPECT_EQ(c.detections, 1);
  EXPECT_EQ(c.first_report_late, 1);
  EXPECT_DOUBLE_EQ(c.monitoring_operation_percent, 0.0);

  // A level without systems has no availability at all, not 100 %.
  const MonthlyLevelRow& dev = report->levels[3];
  EXPECT_EQ(dev.level, "C-dev");
  EXPECT_EQ(dev.systems, 0);
  EXPECT_FALSE(dev.availability_percent);
  EXPECT_EQ(dev.detections, 0);
  EXPECT_DOUBLE_EQ(dev.monitoring_operation_percent, 100.0);

  const MonthlyLevelRow& platform = report->levels[4];
  EXPECT_EQ(platform.level, "");
  EXPECT_FALSE(platform.systems);
  EXPECT_FALSE(platform.service_time);
  EXPECT_FALSE(platform.availability_percent);
  EXPECT_EQ(platform.detections, 1);
  EXPECT_EQ(platform.outage, minutes(10));

  // All detections: 2 + 1 + 1 + 0 + 1 = 5, late 2.
  EXPECT_EQ(report->total_detections, 5);
  EXPECT_EQ(report->total_first_report_late, 2);
  EXPECT_DOUBLE_EQ(report->total_monitoring_operation_percent, 60.0);

  // Reports due in April: on time (a3 first), late (a2 first), unsent (c1
  // first), failed (a2 final).
  EXPECT_EQ(report->reports.on_time, 1);
  EXPECT_EQ(report->reports.late, 1);
  EXPECT_EQ(report->reports.unsent, 1);
  EXPECT_EQ(report->reports.failed, 1);
}

TEST_F(MonthlyReportTest, TheMonthBeforeSeesTheOtherHalfOfASpanningIncident) {
  Ledger ledger = OpenOrDie();
  BuildApril(ledger);
  auto march = BuildMonthlyReport(ledger, inventory_, 2025, 3);
  ASSERT_TRUE(march) << march.error().message;
  // 31 March 23:30-24:00 Tokyo; db01's suppression 23:00-24:00.
  EXPECT_EQ(march->levels[0].detections, 1);
  EXPECT_EQ(march->levels[0].outage, minutes(30));
  EXPECT_EQ(march->levels[0].planned_downtime, minutes(60));
  EXPECT_EQ(march->levels[0].service_time, hours(2 * 31 * 24));
  auto may = BuildMonthlyReport(ledger, inventory_, 2025, 5);
  ASSERT_TRUE(may) << may.error().message;
  EXPECT_EQ(may->levels[0].detections, 0);
  EXPECT_EQ(may->levels[0].detections_previous_month, 2);
  EXPECT_EQ(may->levels[0].outage, minutes(60));
  EXPECT_EQ(may->levels[2].detections, 1);
  // January's previous month is December of the year before.
  auto january = BuildMonthlyReport(ledger, inventory_, 2026, 1);
  ASSERT_TRUE(january) << january.error().message;
  EXPECT_EQ(january->from, BusinessCalendar::FromTokyo(std::chrono::local_seconds(
                               std::chrono::local_days(std::chrono::year(2026) / 1 / 1))));

  EXPECT_EQ(BuildMonthlyReport(ledger, inventory_, 2025, 13).error().kind,
            LedgerErrorKind::kInvalidArgument);
  EXPECT_EQ(BuildMonthlyReport(ledger, inventory_, 2025, 0).error().kind,
            LedgerErrorKind::kInvalidArgument);
}

TEST_F(MonthlyReportTest, TheTextExplainsTheFormulaAndAlignsJapaneseColumns) {
  Ledger ledger = OpenOrDie();
  BuildApril(ledger);
  ASSERT_EQ(ledger.RecordResourceUsage({{kOddNode, "disk:/データ", Tokyo(4, 3, 10), 91.5}}),
            std::nullopt);
  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report) << report.error().message;
  const std::string text = MonthlyReportText(*report);

  EXPECT_TRUE(Contains(text,
                       "月次報告 Monthly report: 第三期サーバ仮想基盤 2025-04 "
                       "(2025-04-01 00:00 - 2025-05-01 00:00 JST)"));
  EXPECT_TRUE(Contains(text, "99.843"));  // A: 85,965 / 86,100
  EXPECT_TRUE(Contains(text, "64.583"));  // B: 27,900 / 43,200
  EXPECT_TRUE(Contains(text, "99.042"));  // C: 10,860 / 10,965
  EXPECT_TRUE(Contains(text, "1440:00:00"));
  EXPECT_TRUE(Contains(text, "183:45:00"));
  EXPECT_TRUE(Contains(text, "\n算式 Formula: "));
  EXPECT_TRUE(Contains(text, "\n計画停止 Planned downtime: "));
  EXPECT_TRUE(Contains(text, "91.5"));
  EXPECT_TRUE(Contains(text, kOddNode));

  // Every line of the level table has the same width: the last column is
  // right-aligned, so any misalignment shows. The table runs from the
  // Japanese heading to the total row.
  std::vector<std::string> lines = Lines(text);
  std::size_t first = 0;
  while (first < lines.size() && lines[first].rfind("レベル", 0) != 0) ++first;
  ASSERT_LT(first + 8, lines.size());
  for (std::size_t i = first; i < first + 8; ++i) {
    EXPECT_EQ(Columns(lines[i]), Columns(lines[first])) << lines[i];
  }
  EXPECT_EQ(lines[first + 1].rfind("Level", 0), 0u);
  EXPECT_EQ(lines[first + 7].rfind("合計 total", 0), 0u);
  // C-dev: no systems, so "-" where availability would be.
  EXPECT_TRUE(Contains(lines[first + 5], " - ")) << lines[first + 5];
}

TEST_F(MonthlyReportTest, TheCsvIsOneRfc4180TableThatReadsBack) {
  Ledger ledger = OpenOrDie();
  BuildApril(ledger);
  ASSERT_EQ(ledger.RecordResourceUsage({{kOddNode, "disk:/データ", Tokyo(4, 3, 10), 91.5},
                                        {"web01", "cpu", Tokyo(4, 3, 10), 12.25}}),
            std::nullopt);
  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report) << report.error().message;
  const std::string csv = MonthlyReportCsv(*report);

  // The writer's bytes for the odd name: quoted, quotes doubled.
  EXPECT_TRUE(Contains(csv, ",\"会計,\"\"サーバ\"\"01\",disk:/データ,1,91.500,91.500,,,,,,\r\n"));
  EXPECT_EQ(csv.find("\n\n"), std::string::npos);

  auto records = ParseCsv(csv);
  // Header, 5 levels, total, reports, 2 resources, 3 classes, 3 causes,
  // 5 levels x 4 recovery-target outcomes, then the month's suppressions.
  ASSERT_GE(records.size(), 36u);
  for (const auto& record : records) EXPECT_EQ(record.size(), 28u);
  EXPECT_EQ(records[10][0], "class");
  EXPECT_EQ(records[10][23], "trouble");
  EXPECT_EQ(records[13][0], "cause");
  EXPECT_EQ(records[16][0], "recovery-target");
  EXPECT_EQ(records[16][2], "A");
  const auto& header = records[0];
  EXPECT_EQ(header[0], "section");
  EXPECT_EQ(header[8], "availability_percent");

  const auto& a = records[1];
  EXPECT_EQ(a[0], "level");
  EXPECT_EQ(a[1], "2025-04");
  EXPECT_EQ(a[2], "A");
  EXPECT_EQ(a[3], "2");
  EXPECT_EQ(a[4], "5184000");  // 86,400 min
  EXPECT_EQ(a[5], "18000");    // 300 min
  EXPECT_EQ(a[6], "8100");     // 135 min
  EXPECT_EQ(a[8], "99.843");
  EXPECT_EQ(a[12], "50.000");
  const auto& dev = records[4];
  EXPECT_EQ(dev[2], "C-dev");
  EXPECT_EQ(dev[3], "0");
  EXPECT_EQ(dev[8], "");  // no availability: empty, not "-" or 100
  const auto& platform = records[5];
  EXPECT_EQ(platform[2], "platform");
  EXPECT_EQ(platform[3], "");
  EXPECT_EQ(platform[6], "600");
  EXPECT_EQ(records[6][0], "total");
  EXPECT_EQ(records[6][12], "60.000");
  EXPECT_EQ(records[7][0], "reports");
  EXPECT_EQ(records[7][13], "1");
  EXPECT_EQ(records[7][16], "1");
  // Resources by max, highest first; the odd name reads back unchanged.
  EXPECT_EQ(records[8][0], "resource");
  EXPECT_EQ(records[8][17], kOddNode);
  EXPECT_EQ(records[8][18], "disk:/データ");
  EXPECT_EQ(records[9][17], "web01");
  EXPECT_EQ(records[9][21], "12.250");
}

// --- resource usage in the ledger

TEST_F(MonthlyReportTest, ResourceUsageCountsEachSampleOnceByTokyoDay) {
  Ledger ledger = OpenOrDie();
  const std::vector<ResourceSample> snapshot = {
      // 1 April 01:00 Tokyo is still 31 March in UTC: April by Tokyo date.
      {"web01", "cpu", Tokyo(4, 1, 1), 20},
      {"web01", "cpu", Tokyo(4, 1, 10), 10},
      {"web01", "cpu", Tokyo(4, 1, 10, 5), 30},
      {"web01", "cpu", Tokyo(4, 1, 10, 5), 30},  // the same check offered twice
      {"web01", "cpu", Tokyo(4, 1, 10), 99},     // older than the row's last: ignored
      {"web01", "cpu", Tokyo(4, 30, 23, 59), 60},
      // Outside April in Tokyo time (both inside a UTC April day or month).
      {"web01", "cpu", Tokyo(3, 31, 23, 59), 100},
      {"web01", "cpu", Tokyo(5, 1, 0), 100},
      {"db01", "memory", Tokyo(4, 3, 12), 70},
      {"db01", "memory", Tokyo(4, 4, 12), 80},
  };
  ASSERT_EQ(ledger.RecordResourceUsage(snapshot), std::nullopt);
  // The collector offers the same snapshot again: nothing changes.
  ASSERT_EQ(ledger.RecordResourceUsage(snapshot), std::nullopt);
  ASSERT_EQ(ledger.RecordResourceUsage({{kOddNode, "disk:/var", Tokyo(4, 20, 12), 90}}),
            std::nullopt);

  auto rows = ledger.ResourceUsage(Tokyo(4, 1, 0), Tokyo(5, 1, 0));
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);  // by node, then monitor
  EXPECT_EQ((*rows)[0].node, "db01");
  EXPECT_EQ((*rows)[0].samples, 2);
  EXPECT_DOUBLE_EQ((*rows)[0].average, 75);
  EXPECT_DOUBLE_EQ((*rows)[0].max, 80);
  EXPECT_EQ((*rows)[1].node, "web01");
  EXPECT_EQ((*rows)[1].monitor, "cpu");
  EXPECT_EQ((*rows)[1].samples, 4);  // 20, 10, 30, 60
  EXPECT_DOUBLE_EQ((*rows)[1].average, 30);
  EXPECT_DOUBLE_EQ((*rows)[1].max, 60);
  EXPECT_EQ((*rows)[2].node, kOddNode);

  // The report lists them by maximum, highest first.
  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->resources.size(), 3u);
  EXPECT_EQ(report->resources[0].node, kOddNode);
  EXPECT_EQ(report->resources[1].node, "db01");
  EXPECT_EQ(report->resources[2].node, "web01");
  EXPECT_DOUBLE_EQ(report->resources[2].average, 30);

  // March holds only its last minute's sample.
  auto march = ledger.ResourceUsage(Tokyo(3, 1, 0), Tokyo(4, 1, 0));
  ASSERT_TRUE(march);
  ASSERT_EQ(march->size(), 1u);
  EXPECT_EQ(march->front().samples, 1);
  EXPECT_DOUBLE_EQ(march->front().max, 100);
}

TEST_F(MonthlyReportTest, ABadSampleRecordsNothingAndARollbackKeepsNothing) {
  Ledger ledger = OpenOrDie();
  auto bad = ledger.RecordResourceUsage(
      {{"web01", "cpu", Tokyo(4, 1, 10), 10}, {"web01", "", Tokyo(4, 1, 10), 10}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->kind, LedgerErrorKind::kInvalidArgument);
  EXPECT_TRUE(Contains(bad->message, "ledger " + ledger.path()));
  auto nan = ledger.RecordResourceUsage({{"web01", "cpu", Tokyo(4, 1, 10), std::nan("")}});
  ASSERT_TRUE(nan);
  EXPECT_EQ(nan->kind, LedgerErrorKind::kInvalidArgument);
  {
    auto tx = ledger.Begin();
    ASSERT_TRUE(tx);
    ASSERT_EQ(ledger.RecordResourceUsage({{"web01", "cpu", Tokyo(4, 1, 10), 10}}), std::nullopt);
    tx->Rollback();
  }
  auto rows = ledger.ResourceUsage(Tokyo(4, 1, 0), Tokyo(5, 1, 0));
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
  EXPECT_EQ(ledger.ResourceUsage(Tokyo(5, 1, 0), Tokyo(4, 1, 0)).error().kind,
            LedgerErrorKind::kInvalidArgument);
}

TEST_F(MonthlyReportTest, FiftyThousandSamplesInOneCall) {
  // 10,000 nodes x 5 monitors: one call, one transaction.
  Ledger ledger = OpenOrDie();
  const std::vector<std::string> monitors = {"cpu", "memory", "disk:/", "disk:/var", "disk:/home"};
  std::vector<ResourceSample> samples;
  samples.reserve(50000);
  for (int node = 0; node < 10000; ++node) {
    for (std::size_t m = 0; m < monitors.size(); ++m) {
      samples.push_back({"vm" + std::to_string(node), monitors[m], Tokyo(4, 2, 12),
                         static_cast<double>(node % 100)});
    }
  }
  ASSERT_EQ(ledger.RecordResourceUsage(samples), std::nullopt);
  ASSERT_EQ(ledger.RecordResourceUsage(samples), std::nullopt);  // offered again
  auto rows = ledger.ResourceUsage(Tokyo(4, 1, 0), Tokyo(5, 1, 0));
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 50000u);
  for (const auto& row : *rows) ASSERT_EQ(row.samples, 1) << row.node << " " << row.monitor;
}

// --- migration

TEST_F(MonthlyReportTest, AFileOfTheFirstSchemaMigratesAndKeepsItsIncidents) {
  if (IsPostgresLocation(path_)) GTEST_SKIP() << "PostgreSQL ledgers began at version 4";
  ASSERT_GE(LedgerMigrations().size(), 2u);
  {
    LedgerOptions old;
    old.migrations = {LedgerMigrations()[0]};  // the schema before resource usage
    Ledger ledger = OpenOrDie(old);
    EXPECT_EQ(*ledger.SchemaVersion(), 1);
    // Written as that program wrote it: this one writes columns of later
    // versions.
    const auto ms = [](LedgerTime t) {
      return std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
    };
    const std::string insert =
        "INSERT INTO incidents (scope, title, priority, service_level, status, opened_at, "
        "detected_at, closed_at, closed_by) VALUES ('vm', 'failure at level A', 'high', 'A', "
        "'closed', " +
        ms(Tokyo(4, 15, 10)) + ", " + ms(Tokyo(4, 15, 10)) + ", " + ms(Tokyo(4, 15, 10, 45)) +
        ", 'suzuki')";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, insert.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
    // That program has no resource_usage table.
    auto missing = ledger.RecordResourceUsage({{"web01", "cpu", Tokyo(4, 1, 10), 10}});
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->kind, LedgerErrorKind::kSchema);
  }
  Ledger ledger = OpenOrDie();
  EXPECT_EQ(*ledger.SchemaVersion(), static_cast<int>(LedgerMigrations().size()));
  ASSERT_EQ(ledger.RecordResourceUsage({{"web01", "cpu", Tokyo(4, 1, 10), 10}}), std::nullopt);
  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->levels[0].detections, 1);
  EXPECT_EQ(report->levels[0].outage, minutes(45));
  ASSERT_EQ(report->resources.size(), 1u);
  // A read-only connection (the CLI beside the collector) can build it too.
  LedgerOptions read_only;
  read_only.read_only = true;
  Ledger reader = OpenOrDie(read_only);
  auto again = BuildMonthlyReport(reader, inventory_, 2025, 4);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->levels[0].detections, 1);
}

}  // namespace
}  // namespace mimamori::collector
