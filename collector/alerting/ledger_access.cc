#include "collector/alerting/ledger_access.h"

#include "collector/core/secret.h"

namespace mimamori::collector {

LedgerResult<Ledger> OpenLedgerAt(const std::string& location, const AlertingSettings& alerting,
                                  LedgerOptions options) {
  if (IsPostgresLocation(location) &&
      (!alerting.ledger_password_file.empty() || !alerting.ledger_password_env.empty())) {
    std::string error;
    std::optional<Secret> password =
        ReadSecret(alerting.ledger_password_file, alerting.ledger_password_env, error);
    if (!password) return LedgerError{LedgerErrorKind::kStorage, "ledger password: " + error};
    options.password = std::move(*password);
  }
  return Ledger::Open(location, std::move(options));
}

}  // namespace mimamori::collector
