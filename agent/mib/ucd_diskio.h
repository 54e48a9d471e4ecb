// UCD-DISKIO-MIB diskIOTable, as Net-SNMP's snmpd serves it on Linux.
#pragma once

#include <memory>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// Serves .1.3.6.1.4.1.2021.13.15 (ucdDiskIOMIB, whose .1 is diskIOTable) from
/// HostData::Disks(): one row per /proc/diskstats line in file order, indexed
/// 1..n, listing every device (disks, partitions, dm-*, loop, ram, zram) as
/// snmpd does without diskio_exclude_* settings. Byte counts are sectors * 512.
///
/// diskIOLA1/5/15 and diskIOBusyTime are not served: they need the kernel's
/// io_ticks, which DiskStat does not carry.
///
/// `context` must outlive the provider.
std::unique_ptr<MibProvider> MakeDiskIoProvider(const ProviderContext& context);

}  // namespace mimamori::agent
