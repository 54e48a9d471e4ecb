// The vCenter link's reading of vSphere answers (recorded from the govmomi
// simulator, plus the continuation page a large vCenter sends) and how its
// placement is applied to the inventory.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "collector/vcenter/placement.h"
#include "collector/vcenter/vsphere_client.h"

namespace mimamori::collector {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(MIMAMORI_FIXTURES) + "/vsphere/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(VsphereAnswers, ARecordedRetrievePropertiesExGivesEveryVmAndItsHostsName) {
  const std::string body = Fixture("retrieve-properties-vcsim.xml");
  ASSERT_FALSE(body.empty());
  PropertyPage page;
  std::string error;
  ASSERT_TRUE(ParsePropertyPage(body, page, error)) << error;
  EXPECT_EQ(page.token, "");
  ASSERT_EQ(page.objects.size(), 6u);  // 4 VMs, 2 hosts
  EXPECT_EQ(page.objects[0].type, "VirtualMachine");
  EXPECT_EQ(page.objects[0].moref, "vm-39");
  EXPECT_EQ(page.objects[0].name, "DC0_H0_VM0");
  EXPECT_EQ(page.objects[0].host_moref, "host-21");
  const auto vms = FoldPlacement(page.objects);
  ASSERT_EQ(vms.size(), 4u);
  EXPECT_EQ(vms[0], (VmPlacement{"DC0_H0_VM0", "DC0_H0"}));
  EXPECT_EQ(vms[1], (VmPlacement{"DC0_H0_VM1", "DC0_H0"}));
  EXPECT_EQ(vms[3], (VmPlacement{"DC0_H1_VM1", "DC0_H1"}));
}

TEST(VsphereAnswers, AContinuationTokenIsReadAndPagesFoldTogether) {
  const std::string first =
      R"(<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>1</token><objects><obj type="VirtualMachine">vm-1</obj><propSet><name>name</name><val>juki-ap01</val></propSet><propSet><name>runtime.host</name><val type="HostSystem">host-9</val></propSet></objects></returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>)";
  const std::string second =
      R"(<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="HostSystem">host-9</obj><propSet><name>name</name><val>esx09.example.lg.jp</val></propSet></objects></returnval></ContinueRetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>)";
  PropertyPage a, b;
  std::string error;
  ASSERT_TRUE(ParsePropertyPage(first, a, error)) << error;
  ASSERT_TRUE(ParsePropertyPage(second, b, error)) << error;
  EXPECT_EQ(a.token, "1");
  EXPECT_EQ(b.token, "");
  std::vector<PropertyPage::Object> all = a.objects;
  all.insert(all.end(), b.objects.begin(), b.objects.end());
  const auto vms = FoldPlacement(all);
  ASSERT_EQ(vms.size(), 1u);
  EXPECT_EQ(vms[0], (VmPlacement{"juki-ap01", "esx09.example.lg.jp"}));
}

TEST(VsphereAnswers, FaultsAndGarbageAreErrorsThatSayWhat) {
  PropertyPage page;
  std::string error;
  EXPECT_FALSE(ParsePropertyPage(Fixture("login-fault-vcsim.xml"), page, error));
  EXPECT_EQ(error, "InvalidLogin: Login failure");
  EXPECT_FALSE(ParsePropertyPage("<html>502 Bad Gateway", page, error));
  EXPECT_EQ(error, "the answer is not well-formed XML");
  EXPECT_FALSE(ParsePropertyPage("<a/>", page, error));
  EXPECT_EQ(error, "the answer is not a SOAP envelope");
}

Inventory Platform() {
  Inventory inv;
  for (auto [name, address] :
       {std::pair{"esx01", "esx01.example.lg.jp"}, std::pair{"esx02", "10.0.0.2"}}) {
    Node host;
    host.name = name;
    host.address = address;
    host.kind = NodeKind::kEsxiHost;
    inv.nodes.push_back(host);
  }
  for (auto [name, host] : {std::pair{"juki-ap01", "esx01"}, std::pair{"zeimu-ap01", "esx01"},
                            std::pair{"tosho-ap01", "esx02"}}) {
    Node vm;
    vm.name = name;
    vm.host = host;
    vm.kind = NodeKind::kVm;
    inv.nodes.push_back(vm);
  }
  inv.BuildIndex();
  return inv;
}

TEST(Placement, VcentersHostsAreMatchedByNameOrAddressAndTheInventoryIsTheFallback) {
  Inventory inv = Platform();
  std::vector<std::string> unknown;
  const auto changes = ApplyPlacement(inv,
                                      {{"juki-ap01", "10.0.0.2"},  // esx02 by address
                                       {"zeimu-ap01", "esx01"},    // unchanged
                                       {"tosho-ap01", "esx99"},    // not in the inventory
                                       {"other-vm", "esx01.example.lg.jp"}},  // not ours
                                      unknown);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].vm, "juki-ap01");
  EXPECT_EQ(changes[0].from, "esx01");
  EXPECT_EQ(changes[0].to, "esx02");
  EXPECT_EQ(inv.FindNode("juki-ap01")->host, "esx02");
  EXPECT_EQ(inv.FindNode("tosho-ap01")->host, "esx02") << "an unknown host keeps the inventory's";
  EXPECT_EQ(unknown, std::vector<std::string>{"esx99"});

  std::vector<PlacementChange> moved;
  auto next = WithPlacement(Platform(), {{"tosho-ap01", "esx01.example.lg.jp"}}, moved);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(next->FindNode("tosho-ap01")->host, "esx01");
}

}  // namespace
}  // namespace mimamori::collector
