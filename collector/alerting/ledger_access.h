// Opening the ledger the inventory names (alerting.ledger), with its
// password, in one place for the collector and mimamorictl.
#pragma once

#include <string>

#include "collector/inventory/inventory.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector {

/// The PostgreSQL ledger's password from alerting.ledger's password_file or
/// password_env into `password` (left empty when neither is given). "" on
/// success, else where the password should be (never what it is).
std::string ReadLedgerPassword(const AlertingSettings& alerting, Secret& password);

/// Opens `location` (a SQLite file or a PostgreSQL connection string) with
/// `options`; for PostgreSQL the password comes from the inventory's
/// alerting.ledger password_file / password_env when one is given. The
/// error names the ledger and, for a password that cannot be read, where it
/// should be (never what it is).
LedgerResult<Ledger> OpenLedgerAt(const std::string& location, const AlertingSettings& alerting,
                                  LedgerOptions options);

}  // namespace mimamori::collector
