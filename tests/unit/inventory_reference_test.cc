// docs/inventory.md cannot drift from the loader: every key table in the
// reference must list exactly the keys the loader accepts in that section,
// and every section the loader has must be documented. The loader's key
// lists are read from the loader itself: an unknown key in a section is
// reported with "known keys: ...", so the test provokes that error in each
// section, walking from the top level down.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "collector/inventory/inventory_loader.h"

namespace mimamori::collector {
namespace {

using Keys = std::set<std::string>;
constexpr const char* kProbe = "zz_not_a_key";

struct Segment {
  std::string name;
  bool list = false;  // the section is an item of a list under `name`
};

// What the loader says is allowed at `path`, or nullopt when `path` is not
// a mapping section (a scalar, or a list of scalars).
std::optional<Keys> LoaderKeys(const std::vector<Segment>& path) {
  std::string yaml = std::string("{") + kProbe + ": 1}";
  std::string field = kProbe;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    yaml = "{" + it->name + ": " + (it->list ? "[" + yaml + "]" : yaml) + "}";
  }
  std::string expected;
  for (const Segment& s : path) expected += s.name + (s.list ? "[0]" : "") + ".";
  expected += kProbe;
  std::vector<ConfigError> errors;
  ParseInventory(yaml + "\n", "probe.yaml", errors);
  const std::string prefix = "unknown key (known keys: ";
  for (const ConfigError& e : errors) {
    if (e.field != expected || e.message.rfind(prefix, 0) != 0) continue;
    const std::string list = e.message.substr(prefix.size(), e.message.rfind(')') - prefix.size());
    Keys keys;
    std::stringstream in(list);
    std::string key;
    // Besides names, a hint may describe keys the operator chooses (mount
    // points): those words are not keys.
    static const std::regex kName("[A-Za-z][A-Za-z0-9_-]*");
    while (std::getline(in, key, ',')) {
      if (!key.empty() && key[0] == ' ') key.erase(0, 1);
      if (std::regex_match(key, kName)) keys.insert(key);
    }
    return keys;
  }
  return std::nullopt;
}

std::string Normalized(const std::vector<Segment>& path) {
  std::string out;
  for (const Segment& s : path) out += (out.empty() ? "" : ".") + s.name;
  return out;
}

// Sections documented once and reused elsewhere ("any of its keys").
std::string Canonical(std::string path) {
  static const std::vector<std::pair<std::string, std::string>> kAliases = {
      {"nodes.snmp", "defaults.snmp"},
      {"nodes.ping", "defaults.ping"},
      {"nodes.thresholds", "defaults.thresholds"},
      {"nodes.time_sync", "defaults.time_sync"},
      {"systems.priority", "alerting.priority"},
      {"systems.owners", "people"},
      {"alerting.platform_managers", "people"},
      {"alerting.ict_service_center", "people"},
      {"alerting.on_duty", "people"},
  };
  for (const auto& [from, to] : kAliases) {
    if (path == from || path.rfind(from + ".", 0) == 0) return to + path.substr(from.size());
  }
  return path;
}

void Walk(std::vector<Segment>& path, const Keys& keys, std::map<std::string, Keys>& sections) {
  sections[Canonical(Normalized(path))] = keys;
  if (path.size() >= 4) return;
  for (const std::string& key : keys) {
    for (bool list : {false, true}) {
      path.push_back({key, list});
      if (auto child = LoaderKeys(path)) {
        Walk(path, *child, sections);
        path.pop_back();
        break;
      }
      path.pop_back();
    }
  }
}

std::map<std::string, Keys> LoaderSections() {
  std::map<std::string, Keys> sections;
  std::vector<Segment> path;
  auto top = LoaderKeys(path);
  EXPECT_TRUE(top) << "the loader did not report an unknown top-level key";
  if (top) Walk(path, *top, sections);
  return sections;
}

std::string ReadReference() {
  std::ifstream in(std::string(MIMAMORI_FIXTURES) + "/../../docs/inventory.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Key tables of docs/inventory.md by section path. A table is one whose
// header's first cell is "key" (or "class" for priority classes); every
// `quoted` word of a row's first cell is a key.
std::map<std::string, Keys> DocumentedSections(const std::string& text) {
  std::map<std::string, Keys> sections;
  std::stringstream in(text);
  std::string line, top, current;
  bool in_table = false, key_table = false;
  const std::regex quoted("`([^`]+)`");
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0 || line.rfind("### ", 0) == 0) {
      const bool level2 = line[2] == ' ';
      std::smatch m;
      std::string path;
      if (line == "## Top level") {
        path = "";
      } else if (line == "## People") {
        path = "people";
      } else if (std::regex_search(line, m, quoted)) {
        path = m[1];
        if (!level2 && path.find('.') == std::string::npos && !top.empty()) path = top + "." + path;
      } else {
        path = "?" + line;  // prose only
      }
      if (level2) top = path;
      current = path;
      in_table = false;
      continue;
    }
    if (line.rfind("|", 0) != 0) {
      in_table = false;
      continue;
    }
    const std::string first = line.substr(1, line.find('|', 1) - 1);
    if (!in_table) {
      in_table = true;
      key_table =
          first.find("key") != std::string::npos || first.find("class") != std::string::npos;
      if (key_table) sections[current];  // a table with no row still counts
      continue;
    }
    if (!key_table || first.find("---") != std::string::npos) continue;
    for (std::sregex_iterator it(first.begin(), first.end(), quoted), end; it != end; ++it) {
      sections[current].insert((*it)[1]);
    }
  }
  return sections;
}

std::string Join(const Keys& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

TEST(InventoryReference, EveryDocumentedTableListsExactlyTheLoadersKeys) {
  const std::string text = ReadReference();
  ASSERT_FALSE(text.empty()) << "docs/inventory.md not found";
  const auto documented = DocumentedSections(text);
  const auto loader = LoaderSections();
  ASSERT_GE(documented.size(), 20u);
  ASSERT_GE(loader.size(), 20u);
  for (const auto& [path, keys] : documented) {
    const std::string where = path.empty() ? "the top level" : "`" + path + "`";
    auto it = loader.find(path);
    if (it == loader.end()) {
      ADD_FAILURE() << "docs/inventory.md documents " << where
                    << ", which the loader does not read as a section";
      continue;
    }
    EXPECT_EQ(Join(keys), Join(it->second))
        << "docs/inventory.md's table for " << where << " (first line) differs from the loader";
  }
}

TEST(InventoryReference, EveryLoaderSectionIsDocumented) {
  const std::string text = ReadReference();
  const auto documented = DocumentedSections(text);
  for (const auto& [path, keys] : LoaderSections()) {
    if (documented.count(path)) continue;
    // A section whose every key has its own table (`defaults`) is documented.
    bool each_key_has_a_table = true;
    for (const auto& key : keys) each_key_has_a_table &= documented.count(path + "." + key) > 0;
    if (each_key_has_a_table) continue;
    // The three level mappings are described in prose, not a table.
    if (path == "defaults.thresholds.cpu" || path == "defaults.thresholds.memory" ||
        path == "defaults.thresholds.disk") {
      EXPECT_EQ(Join(keys), "critical, warning") << path;
      EXPECT_NE(text.find("Each is a mapping of `warning` and `critical`"), std::string::npos);
      continue;
    }
    ADD_FAILURE() << "the loader reads `" << path << "` (keys: " << Join(keys)
                  << ") but docs/inventory.md has no key table for it";
  }
}

}  // namespace
}  // namespace mimamori::collector
