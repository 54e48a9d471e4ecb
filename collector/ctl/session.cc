#include "collector/ctl/session.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "collector/alerting/ledger_access.h"
#include "collector/inventory/inventory_loader.h"

namespace mimamori::collector::ctl {

int Fail(int code, const std::string& message) {
  std::cerr << "mimamorictl: " << message << "\n";
  return code;
}

int FailLedger(const std::string& what, const LedgerError& error) {
  return Fail(kExitRefused, what + ": " + error.message);
}

Session::Session(GlobalOptions options)
    : options_(std::move(options)),
      now_(std::chrono::system_clock::now()),
      calendar_(std::make_shared<const BusinessCalendar>()) {}

std::optional<int> Session::LoadInventory(bool required) {
  if (inventory_) return std::nullopt;
  std::error_code ec;
  if (!required && !options_.config_given && !options_.ledger.empty() &&
      !std::filesystem::exists(options_.config, ec)) {
    std::cerr << "mimamorictl: note: " << options_.config
              << " does not exist; using the built-in business calendar\n";
    return std::nullopt;
  }
  std::vector<ConfigError> errors;
  auto loaded = collector::LoadInventory(options_.config, errors);
  if (!loaded) {
    for (const ConfigError& e : errors) std::cerr << e.ToString() << "\n";
    return Fail(kExitUsage, options_.config + ": " + std::to_string(errors.size()) +
                                " error(s) in the configuration (see above)");
  }
  inventory_ = std::make_shared<const Inventory>(std::move(*loaded));
  calendar_ = std::make_shared<const BusinessCalendar>(inventory_->calendar);
  return std::nullopt;
}

std::optional<int> Session::OpenLedger(bool read_only) {
  std::string path = options_.ledger;
  if (path.empty()) {
    if (!inventory_) {
      return Fail(kExitUsage, "no ledger: give --ledger PATH or a --config with alerting.ledger");
    }
    path = inventory_->alerting.ledger;
  }
  LedgerOptions ledger_options;
  ledger_options.read_only = read_only;
  ledger_options.message_id_domain = HostName();
  // A read-only open of a file that is not there would create nothing and
  // fail with SQLite's terse "unable to open"; say what is missing instead.
  std::error_code ec;
  if (read_only && !IsPostgresLocation(path) && !std::filesystem::exists(path, ec)) {
    return Fail(kExitUsage, "ledger " + path +
                                ": does not exist (the collector creates it on its first start)");
  }
  auto opened = inventory_ ? OpenLedgerAt(path, inventory_->alerting, std::move(ledger_options))
                           : Ledger::Open(path, std::move(ledger_options));
  if (!opened) return Fail(kExitUsage, opened.error().message);
  ledger_.emplace(std::move(*opened));
  return std::nullopt;
}

std::optional<int> Session::MakeContext() {
  if (context_) return std::nullopt;
  if (auto failed = LoadInventory()) return failed;
  std::vector<std::string> errors;
  auto context = AlertingContext::Make(inventory_, HostName(), errors);
  if (!context) {
    for (const auto& e : errors) std::cerr << e << "\n";
    return Fail(kExitUsage, "report templates in " + inventory_->alerting.templates + ": " +
                                std::to_string(errors.size()) + " error(s) (see above)");
  }
  if (!context->calendar) context->calendar = calendar_;
  context_ = std::move(context);
  return std::nullopt;
}

std::string Session::HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "mimamori.invalid";
  return name;
}

}  // namespace mimamori::collector::ctl
