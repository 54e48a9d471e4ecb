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
/// diskIOBusyTime is io_ticks_ms * 1000 (microseconds, Counter64), as snmpd.
///
/// diskIOLA1/5/15 follow snmpd 5.9.3's devla_getstats() (ucd-snmp/diskio.c):
/// every Sample() (the agent's 5 s timer, as snmpd's DISKIO_SAMPLE_INTERVAL)
/// takes the device's busy percentage since the previous sample,
///   busy = delta(io_ticks_ms) * 100 / (interval in ms),
/// and smooths it as the kernel's load averages are smoothed,
///   la = la * e^(-interval/T) + busy * (1 - e^(-interval/T)),  T = 60, 300, 900 s,
/// answering the integer part (INTEGER). At snmpd's fixed 5 s interval this is
/// exactly snmpd's formula; we use the interval measured on the context's
/// `now` clock, so a late timer tick does not inflate the percentage. Each
/// average starts at 0 from the first sample. A Sample() within 1 s of the
/// previous one is ignored (a repeated tick carries no information).
///
/// Like snmpd, the averages belong to positions in /proc/diskstats, not to
/// names; unlike snmpd, a position whose device name changed (a device
/// appeared or vanished before it) restarts from 0 instead of mixing two
/// devices' counters, and a counter that went backwards (io_ticks is 32-bit
/// and wraps after ~49.7 days of busy time; a re-created device starts at 0)
/// counts as idle for that one interval instead of as a huge busy time.
/// Rows not sampled yet answer 0, as snmpd ("we don't have the load yet").
///
/// `context` must outlive the provider.
std::unique_ptr<MibProvider> MakeDiskIoProvider(const ProviderContext& context);

}  // namespace mimamori::agent
