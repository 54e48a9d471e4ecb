// agent.yaml: defaults, every key, and the exact error text for bad input.
#include <gtest/gtest.h>

#include <fstream>

#include "agent/core/config.h"
#include "agent/core/privileges.h"

namespace mimamori::agent {
namespace {

TEST(AgentConfig, DefaultsAreSnmpdLike) {
  std::string error;
  auto config = ParseAgentConfig("", "agent.yaml", error);
  ASSERT_TRUE(config) << error;
  ASSERT_EQ(config->listen.size(), 2u);
  EXPECT_EQ(config->listen[0].ToString(), "udp:0.0.0.0:161");
  EXPECT_EQ(config->listen[1].ToString(), "udp:[::]:161");
  EXPECT_EQ(config->community, "MieKiban");
  EXPECT_TRUE(config->allowed_managers.empty());
  EXPECT_EQ(config->cache_lifetime, std::chrono::seconds(5));
  EXPECT_EQ(config->max_message_size, 65507u);
  // snmpd 5.9's maxGetbulkResponses and maxGetbulkRepeats defaults.
  EXPECT_EQ(config->max_getbulk_responses, 100);
  EXPECT_EQ(config->max_getbulk_repeats, 0);
}

TEST(AgentConfig, EveryKey) {
  const char* text = R"(# mimamori-agent
listen:
  - udp:0.0.0.0:161        # IPv4
  - "udp:[::1]:1161"
community: 'MieKiban'
allowed_managers: [10.20.0.0/16, 192.0.2.10, "2001:db8::/32"]
cache_lifetime: 500ms
max_message_size: 1472
max_getbulk_responses: 250
max_getbulk_repeats: 40
user: snmp
sys_contact: ICT service center #3
sys_location: "DC1 rack 4 # not a comment"
sys_name: web01.example
)";
  std::string error;
  auto config = ParseAgentConfig(text, "agent.yaml", error);
  ASSERT_TRUE(config) << error;
  ASSERT_EQ(config->listen.size(), 2u);
  EXPECT_EQ(config->listen[1].host, "::1");
  EXPECT_EQ(config->listen[1].port, 1161);
  EXPECT_EQ(config->allowed_managers.size(), 3u);
  EXPECT_EQ(config->cache_lifetime, std::chrono::milliseconds(500));
  EXPECT_EQ(config->max_message_size, 1472u);
  EXPECT_EQ(config->max_getbulk_responses, 250);
  EXPECT_EQ(config->max_getbulk_repeats, 40);
  EXPECT_EQ(config->user, "snmp");
  // As in YAML, " #" starts a comment outside quotes.
  EXPECT_EQ(config->system.contact, "ICT service center");
  EXPECT_EQ(config->system.location, "DC1 rack 4 # not a comment");
  EXPECT_EQ(config->system.name, "web01.example");
}

TEST(AgentConfig, ErrorsNameFileLineAndField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"communty: x\n",
       "/etc/mimamori/agent.yaml:1: communty: unknown key (known keys: allowed_managers, "
       "cache_lifetime, community, listen, max_getbulk_repeats, max_getbulk_responses, "
       "max_message_size, sys_contact, sys_location, sys_name, user)"},
      {"max_getbulk_responses: 0\n",
       "/etc/mimamori/agent.yaml:1: max_getbulk_responses: '0' is not a number from 1 to 65507"},
      {"max_getbulk_repeats: -1\n",
       "/etc/mimamori/agent.yaml:1: max_getbulk_repeats: '-1' is not a number from 0 (no limit "
       "of its own) to 65507"},
      {"\n\nlisten: [udp:10.0.0.1:99999]\n",
       "/etc/mimamori/agent.yaml:3: listen: bad port '99999' in 'udp:10.0.0.1:99999'"},
      {"listen:\n  - udp:agent.example:161\n",
       "/etc/mimamori/agent.yaml:1: listen: 'agent.example' is not a numeric IPv4 or IPv6 address "
       "in 'udp:agent.example:161'"},
      {"listen: tcp:0.0.0.0:161\n",
       "/etc/mimamori/agent.yaml:1: listen: only udp: listen addresses are supported: "
       "'tcp:0.0.0.0:161'"},
      {"allowed_managers: [10.0.0.0/33]\n",
       "/etc/mimamori/agent.yaml:1: allowed_managers: '10.0.0.0/33' is not an address or CIDR "
       "network"},
      {"cache_lifetime: soon\n",
       "/etc/mimamori/agent.yaml:1: cache_lifetime: 'soon' is not a duration from 0 to 600s (e.g. "
       "5s, 500ms)"},
      {"max_message_size: 100\n",
       "/etc/mimamori/agent.yaml:1: max_message_size: '100' is not a number from 484 to 65507"},
      {"community: ''\n", "/etc/mimamori/agent.yaml:1: community: must not be empty"},
      {"community: a\ncommunity: b\n",
       "/etc/mimamori/agent.yaml:2: community: given twice (first on line 1)"},
      {"community: [a, b]\n",
       "/etc/mimamori/agent.yaml:1: community: expects a single value, not a list"},
      {"community: \"open\n", "/etc/mimamori/agent.yaml:1: community: unterminated quote"},
      {"  community: x\n",
       "/etc/mimamori/agent.yaml:1: unexpected indentation (agent.yaml has only top-level keys)"},
      {"- udp:0.0.0.0:161\n", "/etc/mimamori/agent.yaml:1: list item without a list key above it"},
      {"just words\n", "/etc/mimamori/agent.yaml:1: expected 'key: value'"},
      {"listen:\n\t- udp:0.0.0.0:161\n",
       "/etc/mimamori/agent.yaml:2: tab used for indentation (YAML allows spaces only)"},
      {"listen:\n", "/etc/mimamori/agent.yaml:1: listen: needs at least one address"},
  };
  for (const auto& [text, expected] : cases) {
    std::string error;
    EXPECT_FALSE(ParseAgentConfig(text, "/etc/mimamori/agent.yaml", error)) << text;
    EXPECT_EQ(error, expected) << text;
  }
}

TEST(AgentConfig, MissingFileIsAnError) {
  std::string error;
  EXPECT_FALSE(LoadAgentConfig("/nonexistent/agent.yaml", error));
  EXPECT_EQ(error, "/nonexistent/agent.yaml: cannot open the configuration file");
}

TEST(AgentConfig, ShippedExampleIsValid) {
  std::string error;
  auto config =
      LoadAgentConfig(std::string(MIMAMORI_FIXTURES) + "/../../packaging/agent.yaml", error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->community, "MieKiban");
}

TEST(Privileges, LooksUpUsersWithoutNss) {
  const std::string path = ::testing::TempDir() + "/passwd";
  {
    std::ofstream out(path);
    out << "root:x:0:0:root:/root:/bin/bash\n"
        << "broken line\n"
        << "mimamori:x:991:987:mimamori agent:/:/sbin/nologin\n";
  }
  unsigned uid = 0, gid = 0;
  ASSERT_TRUE(LookUpUser("mimamori", path, uid, gid));
  EXPECT_EQ(uid, 991u);
  EXPECT_EQ(gid, 987u);
  EXPECT_FALSE(LookUpUser("nobody-here", path, uid, gid));
  ASSERT_TRUE(LookUpUser("1234:5678", path, uid, gid));
  EXPECT_EQ(uid, 1234u);
  EXPECT_EQ(gid, 5678u);
}

}  // namespace
}  // namespace mimamori::agent
