// /metrics as the collector writes it: the per-node series (NodeSeries) and
// the registry's families, over a real HTTP connection.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collector/metrics/collector_metrics.h"
#include "collector/metrics/node_series.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;

Measurement Fs(const std::string& mount, double usage) {
  return {"mimamori_filesystem_usage_ratio", {{"mount", mount}}, usage};
}

std::string Rendered(const NodeSeries& series, const std::string& collector = "") {
  std::string text;
  series.Render(collector, [&](std::string_view piece) {
    text += piece;
    return true;
  });
  return text;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

// Sample lines (not comments) of the text, by series (name + labels).
std::map<std::string, int> SampleCounts(const std::string& text) {
  std::map<std::string, int> counts;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    ++counts[line.substr(0, line.rfind(' '))];
  }
  return counts;
}

TEST(NodeSeries, MeasurementsCarryTheNodeInLabelOrderAndReplaceTheNodesPreviousOnes) {
  NodeSeries series;
  series.SetMeasurements("web01", "resource",
                         {Fs("/", 0.5), Fs("/var", 0.25), {"mimamori_cpu_usage_ratio", {}, 0.125}});
  std::string text = Rendered(series);
  EXPECT_TRUE(Has(text, "# HELP mimamori_filesystem_usage_ratio File system space used (0-1)."))
      << text;
  EXPECT_TRUE(Has(text, "# TYPE mimamori_filesystem_usage_ratio gauge")) << text;
  EXPECT_TRUE(Has(text, "mimamori_filesystem_usage_ratio{mount=\"/\",node=\"web01\"} 0.5")) << text;
  EXPECT_TRUE(Has(text, "mimamori_filesystem_usage_ratio{mount=\"/var\",node=\"web01\"} 0.25"));
  EXPECT_TRUE(Has(text, "mimamori_cpu_usage_ratio{node=\"web01\"} 0.125")) << text;

  // /var unmounted: its series goes; the other node's stays.
  series.SetMeasurements("db01", "resource", {Fs("/var", 0.75)});
  series.SetMeasurements("web01", "resource",
                         {Fs("/", 0.625), {"mimamori_cpu_usage_ratio", {}, 1}});
  text = Rendered(series);
  EXPECT_EQ(text.find("mount=\"/var\",node=\"web01\""), std::string::npos) << text;
  EXPECT_TRUE(Has(text, "mimamori_filesystem_usage_ratio{mount=\"/\",node=\"web01\"} 0.625"));
  EXPECT_TRUE(Has(text, "mimamori_filesystem_usage_ratio{mount=\"/var\",node=\"db01\"} 0.75"));
  EXPECT_TRUE(Has(text, "mimamori_cpu_usage_ratio{node=\"web01\"} 1")) << text;
  EXPECT_EQ(series.size(), 3u);

  // A check with no measurements (the node did not answer) leaves none.
  series.SetMeasurements("web01", "resource", {});
  EXPECT_EQ(series.size(), 1u);
  EXPECT_EQ(Rendered(series).find("web01"), std::string::npos);
}

TEST(NodeSeries, ASeriesTwoKindsPublishStaysUntilBothDropIt) {
  NodeSeries series;
  const Measurement skew{"mimamori_clock_skew_seconds", {}, 0.5};
  series.SetMeasurements("web01", "time", {skew});
  series.SetMeasurements("web01", "resource", {skew});
  series.SetMeasurements("web01", "time", {});
  EXPECT_TRUE(Has(Rendered(series), "mimamori_clock_skew_seconds{node=\"web01\"} 0.5"));
  series.SetMeasurements("web01", "resource", {});
  EXPECT_EQ(series.size(), 0u);
}

TEST(NodeSeries, LabelValuesAreEscapedAndValuesWrittenAsPrometheusReadsThem) {
  NodeSeries series;
  series.SetMeasurements(
      "win\"01", "resource",
      {Fs("C:\\", 0.5),
       {"mimamori_filesystem_size_bytes", {{"mount", "a\nb"}}, 107374182400.0},
       {"mimamori_ping_rtt_seconds", {}, std::numeric_limits<double>::quiet_NaN()},
       {"mimamori_web_duration_seconds", {}, std::numeric_limits<double>::infinity()}});
  const std::string text = Rendered(series, "c\"1");
  EXPECT_TRUE(Has(text,
                  "mimamori_filesystem_usage_ratio{mount=\"C:\\\\\",node=\"win\\\"01\","
                  "collector=\"c\\\"1\"} 0.5"))
      << text;
  EXPECT_TRUE(Has(text,
                  "mimamori_filesystem_size_bytes{mount=\"a\\nb\",node=\"win\\\"01\","
                  "collector=\"c\\\"1\"} 107374182400"))
      << text;
  EXPECT_NE(text.find("} NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("} +Inf\n"), std::string::npos) << text;
  EXPECT_TRUE(Has(text, "# HELP mimamori_web_duration_seconds Time of the web request."));
}

TEST(NodeSeries, StatusAndUpFollowTheMonitorsAndRetainDropsGoneOnes) {
  NodeSeries series;
  series.SetStatus("web01", "ping", "ping", 0);
  series.SetStatus("web01", "disk", "resource", 2);
  series.SetStatus("db01", "ping", "ping", 2);
  series.SetUp("web01", 1);
  series.SetUp("db01", 0);
  std::string text = Rendered(series);
  EXPECT_TRUE(Has(text,
                  "mimamori_monitor_status{kind=\"resource\",monitor=\"disk\","
                  "node=\"web01\"} 2"))
      << text;
  EXPECT_TRUE(Has(text, "mimamori_node_up{node=\"db01\"} 0")) << text;
  EXPECT_TRUE(Has(text, "mimamori_node_up{node=\"web01\"} 1")) << text;

  series.Retain({{"web01", "ping"}}, {"web01"});  // disk and db01 removed by a reload
  text = Rendered(series);
  EXPECT_EQ(text.find("db01"), std::string::npos) << text;
  EXPECT_EQ(text.find("monitor=\"disk\""), std::string::npos) << text;
  EXPECT_TRUE(
      Has(text, "mimamori_monitor_status{kind=\"ping\",monitor=\"ping\",node=\"web01\"} 0"));
}

// Rendering resumes after the last series of each slice: with checks
// landing meanwhile, every series that was there throughout appears exactly
// once and each family is one group.
TEST(NodeSeries, AScrapeDuringChecksWritesEverySteadySeriesOnce) {
  NodeSeries series;
  constexpr int kNodes = 30000;
  for (int i = 0; i < kNodes; ++i) {
    const std::string node = "node" + std::to_string(i);
    series.SetMeasurements(node, "resource", {Fs("/", 0.5), {"mimamori_cpu_usage_ratio", {}, 0.1}});
    series.SetStatus(node, "ping", "ping", 0);
    series.SetUp(node, 1);
  }
  std::atomic<bool> stop = false;
  std::thread checks([&] {
    for (int round = 0; !stop; ++round) {
      const std::string node = "late" + std::to_string(round % 5000);
      series.SetMeasurements(node, "resource", {Fs("/", 0.5)});
      series.SetMeasurements(
          node, "resource",
          round % 2 ? std::vector<Measurement>{} : std::vector<Measurement>{Fs("/x", 1)});
      series.SetMeasurements("node" + std::to_string(round % kNodes), "resource",
                             {Fs("/", 0.75), {"mimamori_cpu_usage_ratio", {}, 0.2}});
    }
  });
  std::string text;
  int pieces = 0;
  series.Render("", [&](std::string_view piece) {
    text += piece;
    ++pieces;
    return true;
  });
  stop = true;
  checks.join();
  EXPECT_GT(pieces, 1);
  const auto counts = SampleCounts(text);
  for (const auto& [key, n] : counts) ASSERT_EQ(n, 1) << key;
  for (int i = 0; i < kNodes; i += 997) {
    const std::string node = "node" + std::to_string(i);
    EXPECT_TRUE(counts.count("mimamori_filesystem_usage_ratio{mount=\"/\",node=\"" + node + "\"}"));
    EXPECT_TRUE(counts.count("mimamori_cpu_usage_ratio{node=\"" + node + "\"}"));
    EXPECT_TRUE(counts.count("mimamori_node_up{node=\"" + node + "\"}"));
  }
  // One group per family: its TYPE line once, its samples contiguous.
  std::istringstream in(text);
  std::set<std::string> finished;
  std::string current;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      ASSERT_FALSE(finished.count(name)) << name << " twice";
      if (!current.empty()) finished.insert(current);
      current = name;
    } else if (!line.empty() && line[0] != '#') {
      ASSERT_EQ(line.substr(0, line.find('{')), current) << line;
    }
  }
}

MonitorState State(const std::string& node, const std::string& monitor, const std::string& kind,
                   Status confirmed) {
  MonitorState s;
  s.node = node;
  s.monitor = monitor;
  s.kind = kind;
  s.confirmed = confirmed;
  return s;
}

TEST(CollectorMetricsText, RegistryAndNodeFamiliesEachSeriesWithTheCollectorLabelOnce) {
  CollectorMetrics metrics;
  metrics.LabelWithCollector("c2");
  metrics.CheckFinished("web01", "resource", 20ms,
                        {{{"disk", Status::kOk, "", 0.5}}, {Fs("/", 0.5)}});
  metrics.PublishStates({State("web01", "ping", "ping", Status::kCritical),
                         State("web01", "disk", "resource", Status::kOk)});
  const std::string text = metrics.Text();
  EXPECT_TRUE(
      Has(text, "mimamori_checks_total{kind=\"resource\",outcome=\"ok\",collector=\"c2\"} 1"))
      << text;
  EXPECT_TRUE(Has(text, "mimamori_node_up{node=\"web01\",collector=\"c2\"} 0")) << text;
  EXPECT_TRUE(Has(
      text, "mimamori_filesystem_usage_ratio{mount=\"/\",node=\"web01\",collector=\"c2\"} 0.5"));
  std::istringstream in(text);
  int samples = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    ++samples;
    const auto first = line.find("collector=\"");
    ASSERT_NE(first, std::string::npos) << line;
    ASSERT_EQ(line.find("collector=\"", first + 1), std::string::npos) << line;
  }
  EXPECT_GT(samples, 10);
}

// promtool (Debian's prometheus package) parses the exposition as Prometheus
// does; skipped when it is not installed.
TEST(CollectorMetricsText, PromtoolReadsTheExposition) {
  if (std::system("command -v promtool > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool not installed (Debian package prometheus): format not cross-checked";
  }
  CollectorMetrics metrics;
  metrics.CheckFinished("web01", "resource", 20ms,
                        {{{"disk", Status::kWarning, "", 0.8}}, {Fs("/", 0.8), Fs("C:\\", 0.1)}});
  metrics.PublishStates({State("web01", "ping", "ping", Status::kOk)});
  const std::string path = ::testing::TempDir() + "/mimamori_exposition.txt";
  std::ofstream(path) << metrics.Text();
  const std::string command = "promtool check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  // Exit 3 is promtool's lint findings (naming advice), 1 a text it cannot parse.
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 1) << output;
  EXPECT_EQ(output.find("error"), std::string::npos) << output;
}

struct Reply {
  long status = 0;
  std::string body;
  std::string headers;
};

std::size_t Append(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

Reply Get(CURL* curl, const std::string& url, bool gzip, bool head = false, bool http10 = false) {
  Reply reply;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOBODY, head ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, gzip ? "gzip" : nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
                   http10 ? CURL_HTTP_VERSION_1_0 : CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  }
  return reply;
}

TEST(CollectorMetricsHttp, GetPlainGzipHeadAndHttp10AllServeTheSameText) {
  CollectorMetrics metrics;
  for (int i = 0; i < 20000; ++i) {  // several chunks of the reply
    metrics.CheckFinished("node" + std::to_string(i), "resource", 20ms,
                          {{{"disk", Status::kOk, "", 0.5}}, {Fs("/", 0.5)}});
  }
  ASSERT_EQ(metrics.Serve("127.0.0.1:0"), "");
  const std::string url = "http://127.0.0.1:" + std::to_string(metrics.port());
  const std::string expected = metrics.Text();
  auto strip_volatile = [](const std::string& text) {  // the scrape's own families move
    std::string kept;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.find("mimamori_filesystem_usage_ratio") != std::string::npos) kept += line + "\n";
    }
    return kept;
  };

  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  Reply plain = Get(curl, url + "/metrics", false);
  EXPECT_EQ(plain.status, 200);
  EXPECT_NE(plain.headers.find("text/plain; version=0.0.4"), std::string::npos) << plain.headers;
  EXPECT_EQ(plain.headers.find("Content-Encoding"), std::string::npos) << plain.headers;
  EXPECT_EQ(strip_volatile(plain.body), strip_volatile(expected));
  EXPECT_EQ(SampleCounts(strip_volatile(plain.body)).size(), 20000u);

  Reply gzip = Get(curl, url + "/metrics", true);
  EXPECT_EQ(gzip.status, 200);
  EXPECT_NE(gzip.headers.find("Content-Encoding: gzip"), std::string::npos) << gzip.headers;
  EXPECT_EQ(strip_volatile(gzip.body), strip_volatile(expected));

  Reply head = Get(curl, url + "/metrics", false, true);
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());

  Reply old = Get(curl, url + "/metrics", false, false, true);
  EXPECT_EQ(old.status, 200);
  EXPECT_NE(old.headers.find("Content-Length"), std::string::npos) << old.headers;
  EXPECT_EQ(strip_volatile(old.body), strip_volatile(expected));

  Reply health = Get(curl, url + "/healthz", false);
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("mimamori_collector_healthy 1"), std::string::npos) << health.body;
  EXPECT_EQ(Get(curl, url + "/nothing", false).status, 404);
  curl_easy_cleanup(curl);
}

}  // namespace
}  // namespace mimamori::collector
