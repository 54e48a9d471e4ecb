// The vCenter link against a real vCenter simulator: the govmomi simulator
// (vcsim) built from Debian's golang-github-vmware-govmomi-dev at test time
// (skipped with a clear message when Go or govmomi is missing). The test
// reads VM placement over SOAP, moves a VM to another host there as DRS
// would, reads again, and shows the incident engine following: the move is
// recorded on the open incident and the recipients of the next platform
// report change with the VM's host.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "collector/alerting/incident_actions.h"
#include "collector/alerting/incident_engine.h"
#include "collector/core/clock.h"
#include "collector/ledger/ledger.h"
#include "collector/vcenter/placement.h"
#include "collector/vcenter/vsphere_client.h"
#include "tests/integration/agent_process.h"

namespace mimamori::collector {
namespace {

using mimamori::testing::ChildProcess;
using mimamori::testing::CommandResult;
using mimamori::testing::ReadFile;
using mimamori::testing::RunCommand;
using mimamori::testing::TempDir;

class VcenterLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string build_dir = std::string(MIMAMORI_BINARY_DIR) + "/vcsim";
    const CommandResult built = RunCommand(
        {std::string(MIMAMORI_SOURCE_DIR) + "/tests/integration/vcsim/build.sh", build_dir},
        std::chrono::minutes(5));
    if (built.exit_code == 77) {
      GTEST_SKIP() << "vCenter simulator not built: " << built.err
                   << "(install golang-go and golang-github-vmware-govmomi-dev)";
    }
    ASSERT_EQ(built.exit_code, 0) << built.Describe();
    vcsim_ = built.out.substr(0, built.out.find('\n'));

    const auto out = dir_.path() / "vcsim.out";
    std::string error;
    auto child = ChildProcess::Spawn(
        {{vcsim_, "serve", "-listen", "127.0.0.1:0", "-user", "mimamori", "-password", "vc-secret"},
         out,
         dir_.path() / "vcsim.err"},
        error);
    ASSERT_TRUE(child) << error;
    simulator_ = std::move(*child);
    for (int i = 0; i < 200 && sdk_url_.empty(); ++i) {
      const std::string text = ReadFile(out);
      if (const auto end = text.find('\n'); end != std::string::npos)
        sdk_url_ = text.substr(0, end);
      if (sdk_url_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_FALSE(sdk_url_.empty()) << ReadFile(dir_.path() / "vcsim.err");
    // "http://mimamori:vc-secret@127.0.0.1:PORT/sdk": the client gets the
    // user and password apart, as from the inventory.
    plain_url_ = "http://" + sdk_url_.substr(sdk_url_.find('@') + 1);
  }

  VsphereSettings Settings(const std::string& password = "vc-secret") const {
    VsphereSettings s;
    s.url = plain_url_;
    s.user = "mimamori";
    s.password = Secret(password);
    s.timeout = std::chrono::seconds(10);
    return s;
  }

  void Migrate(const std::string& vm, const std::string& host) {
    const CommandResult moved =
        RunCommand({vcsim_, "migrate", "-url", sdk_url_, "-vm", vm, "-host", host});
    ASSERT_EQ(moved.exit_code, 0) << moved.Describe();
  }

  std::string HostOf(const std::vector<VmPlacement>& vms, const std::string& vm) {
    for (const VmPlacement& p : vms) {
      if (p.vm == vm) return p.host;
    }
    return "(absent)";
  }

  TempDir dir_;
  std::string vcsim_;
  ChildProcess simulator_;
  std::string sdk_url_;
  std::string plain_url_;
};

TEST_F(VcenterLinkTest, ReadsPlacementAndSeesAVmMovedToAnotherHost) {
  PlacementRead read = ReadVmPlacement(Settings());
  ASSERT_EQ(read.error, "");
  ASSERT_EQ(read.vms.size(), 4u);
  EXPECT_EQ(HostOf(read.vms, "DC0_H0_VM0"), "DC0_H0");
  EXPECT_EQ(HostOf(read.vms, "DC0_H1_VM0"), "DC0_H1");

  Migrate("DC0_H0_VM0", "DC0_H1");
  read = ReadVmPlacement(Settings());
  ASSERT_EQ(read.error, "");
  EXPECT_EQ(HostOf(read.vms, "DC0_H0_VM0"), "DC0_H1");
  EXPECT_EQ(HostOf(read.vms, "DC0_H0_VM1"), "DC0_H0");
}

TEST_F(VcenterLinkTest, AWrongPasswordOrAnUnreachableVcenterIsAnErrorThatSaysWhat) {
  PlacementRead read = ReadVmPlacement(Settings("wrong"));
  EXPECT_TRUE(read.vms.empty());
  EXPECT_NE(read.error.find("login refused or failed"), std::string::npos) << read.error;
  EXPECT_NE(read.error.find("InvalidLogin"), std::string::npos) << read.error;
  EXPECT_EQ(read.error.find("wrong"), std::string::npos) << "the password never shows";

  VsphereSettings gone = Settings();
  gone.url = "http://127.0.0.1:1/sdk";
  read = ReadVmPlacement(gone);
  EXPECT_NE(read.error.find("vCenter http://127.0.0.1:1/sdk: RetrieveServiceContent"),
            std::string::npos)
      << read.error;
}

Owner Person(std::string name, std::string mail) { return Owner{name, mail, {}}; }

TEST_F(VcenterLinkTest, IncidentsAndRecipientsFollowTheVmsHost) {
  // The inventory still says juki-db (DC0_H0_VM0) runs on DC0_H0, as it did
  // when the file was written.
  auto inventory = std::make_shared<Inventory>();
  inventory->source = "vcenter-test.yaml";
  inventory->alerting.templates = std::string(MIMAMORI_SOURCE_DIR) + "/packaging/templates";
  inventory->alerting.platform_managers = {Person("統括 太郎", "pm@example.lg.jp")};
  inventory->systems.push_back(
      {"juki", ServiceLevel::kA, {Person("住基", "juki@example.lg.jp")}, {}});
  inventory->systems.push_back(
      {"zeimu", ServiceLevel::kB, {Person("税務", "zeimu@example.lg.jp")}, {}});
  const auto add = [&](std::string name, NodeKind kind, std::string system, std::string host) {
    Node n;
    n.name = std::move(name);
    n.address = n.name + ".example.lg.jp";
    n.kind = kind;
    n.system = std::move(system);
    n.host = std::move(host);
    inventory->nodes.push_back(std::move(n));
  };
  add("DC0_H0", NodeKind::kEsxiHost, "", "");
  add("DC0_H1", NodeKind::kEsxiHost, "", "");
  add("DC0_H0_VM0", NodeKind::kVm, "juki", "DC0_H0");
  add("DC0_H1_VM0", NodeKind::kVm, "zeimu", "DC0_H1");
  inventory->BuildIndex();

  auto opened = Ledger::Open((dir_.path() / "ledger.db").string());
  ASSERT_TRUE(opened) << opened.error().message;
  Ledger ledger = std::move(*opened);
  ManualClock clock(std::chrono::system_clock::now());
  std::vector<std::string> errors;
  auto context = AlertingContext::Make(inventory, "test.invalid", errors);
  ASSERT_TRUE(context) << (errors.empty() ? "" : errors.front());
  IncidentEngine engine(ledger, clock, *context);

  // juki-db stops answering: a VM incident, on DC0_H0 by the inventory.
  StateChange down;
  down.node = "DC0_H0_VM0";
  down.monitor = "ping";
  down.kind = "ping";
  down.from = Status::kOk;
  down.to = Status::kCritical;
  down.detected_at = clock.Now();
  down.first_seen_at = clock.Now();
  down.reason = "no reply";
  engine.Accept({down});
  clock.Advance(std::chrono::seconds(61));
  engine.Tick();
  auto open = ledger.OpenIncidents();
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1u);
  const IncidentId vm_incident = open->front().id;

  // DRS moves juki-db to DC0_H1 and zeimu's VM to DC0_H0; the link reads it.
  Migrate("DC0_H0_VM0", "DC0_H1");
  Migrate("DC0_H1_VM0", "DC0_H0");
  PlacementRead read = ReadVmPlacement(Settings());
  ASSERT_EQ(read.error, "");
  std::vector<PlacementChange> moved;
  auto placed = WithPlacement(*inventory, read.vms, moved);
  ASSERT_EQ(moved.size(), 2u);
  auto placed_context = AlertingContext::Make(placed, "test.invalid", errors);
  ASSERT_TRUE(placed_context);
  clock.Advance(std::chrono::seconds(5));
  engine.SetContext(*placed_context);

  // The move is on the open incident, and its affected VM row follows.
  auto timeline = ledger.Timeline(vm_incident);
  ASSERT_TRUE(timeline);
  bool recorded = false;
  for (const IncidentEvent& e : timeline->events) {
    recorded |= e.text.find("DC0_H0 -> DC0_H1") != std::string::npos;
  }
  EXPECT_TRUE(recorded);
  ASSERT_EQ(timeline->affected_vms.size(), 1u);
  EXPECT_EQ(timeline->affected_vms[0].host, "DC0_H1");

  // DC0_H0 now fails: the VM on it is zeimu's, not juki's, so the platform
  // report goes to zeimu's owner and not to juki's.
  StateChange host_down = down;
  host_down.node = "DC0_H0";
  host_down.detected_at = clock.Now();
  engine.Accept({host_down});
  clock.Advance(std::chrono::seconds(61));
  engine.Tick();
  open = ledger.OpenIncidents();
  ASSERT_TRUE(open);
  const auto platform = std::find_if(open->begin(), open->end(), [](const Incident& i) {
    return i.scope == IncidentScope::kPlatform;
  });
  ASSERT_NE(platform, open->end());
  timeline = ledger.Timeline(platform->id);
  ASSERT_TRUE(timeline);
  const Recipients to = RecipientsFor(*timeline, *placed);
  const auto has = [&](const std::string& mail) {
    return std::find(to.mail.begin(), to.mail.end(), mail) != to.mail.end();
  };
  EXPECT_TRUE(has("zeimu@example.lg.jp"));
  EXPECT_FALSE(has("juki@example.lg.jp"));
  // Against the inventory's own hosts it would have been the other way.
  std::vector<std::string> affected;
  for (const AffectedVm& vm : timeline->affected_vms) affected.push_back(vm.vm);
  EXPECT_EQ(affected, std::vector<std::string>{"DC0_H1_VM0"});
  ASSERT_FALSE(timeline->reports.empty());
  // A platform failure of high priority is first reported by phone: the
  // duty names the people to call.
  bool report_to_zeimu = false;
  bool report_to_juki = false;
  for (const Report& r : timeline->reports) {
    for (const std::string& rcpt : r.recipients) {
      report_to_zeimu |= rcpt.find("税務") != std::string::npos || rcpt == "zeimu@example.lg.jp";
      report_to_juki |= rcpt.find("住基") != std::string::npos || rcpt == "juki@example.lg.jp";
    }
  }
  EXPECT_FALSE(report_to_juki);
  std::string queued;
  for (const Report& r : timeline->reports) {
    queued += std::string(ToString(r.channel)) + ":";
    for (const std::string& rcpt : r.recipients) queued += " " + rcpt;
    queued += "\n";
  }
  EXPECT_TRUE(report_to_zeimu) << "the queued report itself goes to the VM's current owner:\n"
                               << queued;
}

TEST_F(VcenterLinkTest, TheCollectorDaemonFollowsVcenterAndSaysSoOnMetrics) {
  // The file says DC0_H0_VM0 runs on DC0_H1; vCenter says DC0_H0.
  const std::string inventory = R"(platform_name: テスト基盤
defaults:
  intervals: {ping: 1s}
metrics: {listen: "127.0.0.1:0"}
vcenter:
  url: )" + plain_url_ + R"(
  user: mimamori
  password_env: MIMAMORI_TEST_VC_PASSWORD
  interval: 1s
alerting:
  ledger: )" + (dir_.path() / "ledger.db").string() +
                                R"(
  templates: )" + std::string(MIMAMORI_SOURCE_DIR) +
                                R"(/packaging/templates
systems:
  - {name: juki, level: A}
nodes:
  - {name: DC0_H0, address: 127.0.0.1, kind: esxi-host, resource: false}
  - {name: DC0_H1, address: 127.0.0.1, kind: esxi-host, resource: false}
  - {name: DC0_H0_VM0, address: 127.0.0.1, system: juki, host: DC0_H1, resource: false}
)";
  const auto config = dir_.Write("inventory.yaml", inventory);
  const auto log = dir_.path() / "collector.log";
  std::string error;
  auto collector = ChildProcess::Spawn({{MIMAMORI_COLLECTOR_BINARY, "--config", config.string()},
                                        "/dev/null",
                                        log,
                                        {"MIMAMORI_TEST_VC_PASSWORD=vc-secret"}},
                                       error);
  ASSERT_TRUE(collector) << error;
  const auto eventually = [&](const std::string& text) {
    for (int i = 0; i < 150; ++i) {
      if (ReadFile(log).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  EXPECT_TRUE(
      eventually("node=DC0_H0_VM0 monitor=placement: VM moved (vCenter, vMotion/DRS): "
                 "host DC0_H1 -> DC0_H0"))
      << ReadFile(log);
  Migrate("DC0_H0_VM0", "DC0_H1");
  EXPECT_TRUE(eventually("host DC0_H0 -> DC0_H1")) << ReadFile(log);
  EXPECT_EQ(ReadFile(log).find("vc-secret"), std::string::npos) << "the password never shows";
  std::smatch port;
  const std::string text = ReadFile(log);
  ASSERT_TRUE(std::regex_search(text, port, std::regex("/metrics on port ([0-9]+)"))) << text;
  const CommandResult metrics =
      RunCommand({"curl", "-s", "http://127.0.0.1:" + port[1].str() + "/metrics"});
  EXPECT_NE(metrics.out.find("mimamori_vcenter_up 1"), std::string::npos) << metrics.out;
  EXPECT_TRUE(collector->Running()) << ReadFile(log);
}

}  // namespace
}  // namespace mimamori::collector
