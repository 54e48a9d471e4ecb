// UCD-SNMP-MIB (.1.3.6.1.4.1.2021) groups as Net-SNMP 5.9.3's snmpd serves
// them on Linux: memory, dskTable, laTable and systemStats.
//
// One provider per subtree: ucd_memory.cc, ucd_disk.cc, ucd_load.cc,
// ucd_system_stats.cc.
#pragma once

#include <memory>
#include <string>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"
#include "agent/mib/cpu_history.h"

namespace mimamori::agent {

/// memory (.1.3.6.1.4.1.2021.4): the objects snmpd answers on Linux, with the
/// default `swap` minimum of 16000 kB for memSwapError.
std::unique_ptr<MibProvider> MakeUcdMemoryProvider(const ProviderContext& context);

/// dskTable (.1.3.6.1.4.1.2021.9) as snmpd with `includeAllDisks 10%`: every
/// file system of hrFSTable, dskIndex equal to its hrFSIndex.
std::unique_ptr<MibProvider> MakeUcdDiskProvider(const ProviderContext& context);

/// laTable (.1.3.6.1.4.1.2021.10) with snmpd's default thresholds (12.00).
std::unique_ptr<MibProvider> MakeUcdLoadProvider(const ProviderContext& context);

/// systemStats (.1.3.6.1.4.1.2021.11). Forwards Sample() to `cpu`.
std::unique_ptr<MibProvider> MakeUcdSystemStatsProvider(const ProviderContext& context,
                                                        std::shared_ptr<CpuHistory> cpu);

/// The content octets of an Opaque carrying a float, as Net-SNMP's
/// asn_build_float: 0x9f 0x78 (ASN_OPAQUE_TAG1, ASN_OPAQUE_FLOAT), length 4,
/// then the IEEE 754 single in network byte order. The codec adds the outer
/// Opaque tag 0x44 and length 7.
std::string OpaqueFloat(float value);

}  // namespace mimamori::agent
