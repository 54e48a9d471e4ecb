#include "collector/alerting/ledger_access.h"

#include "collector/core/secret.h"

namespace mimamori::collector {

std::string ReadLedgerPassword(const AlertingSettings& alerting, Secret& password) {
  if (alerting.ledger_password_file.empty() && alerting.ledger_password_env.empty()) return "";
  std::string error;
  std::optional<Secret> read =
      ReadSecret(alerting.ledger_password_file, alerting.ledger_password_env, error);
  if (!read) return "ledger password: " + error;
  password = std::move(*read);
  return "";
}

LedgerResult<Ledger> OpenLedgerAt(const std::string& location, const AlertingSettings& alerting,
                                  LedgerOptions options) {
  if (IsPostgresLocation(location)) {
    if (std::string why = ReadLedgerPassword(alerting, options.password); !why.empty()) {
      return LedgerError{LedgerErrorKind::kStorage, why};
    }
  }
  return Ledger::Open(location, std::move(options));
}

}  // namespace mimamori::collector
