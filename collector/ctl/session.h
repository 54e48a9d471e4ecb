// What every mimamorictl command needs, loaded only when it asks: the
// inventory (and its calendar), the ledger (read-only for queries, so the
// CLI never takes the write lock from the running collector), the alerting
// context (templates) for actions that word reports, the operator's name
// and "now".
//
// Every failure is printed to stderr here, naming what and why, and the
// caller gets the exit code to return.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "collector/alerting/incident_actions.h"
#include "collector/calendar/business_calendar.h"
#include "collector/ctl/args.h"
#include "collector/inventory/inventory.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector::ctl {

/// Prints "mimamorictl: MESSAGE" to stderr and returns `code`.
int Fail(int code, const std::string& message);

/// How an action's LedgerError ends the command (always kExitRefused), with
/// `what` naming the action: "close incident 42: ledger ...: ...".
int FailLedger(const std::string& what, const LedgerError& error);

class Session {
 public:
  explicit Session(GlobalOptions options);

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.json; }
  const std::string& actor() const { return options_.actor; }
  TimePoint now() const { return now_; }

  /// Loads the inventory named by --config. With `required` false, a missing
  /// default config is not an error when --ledger names the ledger: the
  /// built-in calendar is used and a note says so. Returns an exit code on
  /// failure (kExitUsage), after printing every problem.
  std::optional<int> LoadInventory(bool required = true);
  /// nullptr when LoadInventory(false) went without one.
  const std::shared_ptr<const Inventory>& inventory() const { return inventory_; }
  /// The inventory's calendar, or the built-in one.
  const BusinessCalendar& calendar() const { return *calendar_; }

  /// Opens the ledger (--ledger, else alerting.ledger). Read-only for
  /// queries. Call LoadInventory first unless --ledger is given.
  std::optional<int> OpenLedger(bool read_only);
  Ledger& ledger() { return *ledger_; }

  /// Loads the report templates (after LoadInventory).
  std::optional<int> MakeContext();
  const AlertingContext& context() const { return *context_; }

  /// The host name, for Message-IDs (as the collector uses).
  static std::string HostName();

 private:
  GlobalOptions options_;
  TimePoint now_;
  std::shared_ptr<const Inventory> inventory_;
  std::shared_ptr<const BusinessCalendar> calendar_;
  std::optional<Ledger> ledger_;
  std::optional<AlertingContext> context_;
};

}  // namespace mimamori::collector::ctl
