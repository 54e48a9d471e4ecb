#include "collector/vcenter/vcenter_link.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "collector/core/log.h"
#include "collector/core/secret.h"

namespace mimamori::collector {

VcenterLink::VcenterLink(prometheus::Registry& registry, OnPlacement on_placement)
    : on_placement_(std::move(on_placement)),
      up_(prometheus::BuildGauge()
              .Name("mimamori_vcenter_up")
              .Help("1 when the latest read of VM placement from vCenter succeeded")
              .Register(registry)
              .Add({})),
      failures_(prometheus::BuildCounter()
                    .Name("mimamori_vcenter_read_failures_total")
                    .Help("Reads of VM placement from vCenter that failed (each is logged)")
                    .Register(registry)
                    .Add({})) {}

VcenterLink::~VcenterLink() { Stop(); }

void VcenterLink::Configure(const std::optional<VcenterSettings>& settings) {
  {
    std::lock_guard lock(mutex_);
    settings_ = settings;
    changed_ = true;
  }
  wake_.notify_all();
  if (settings && !thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void VcenterLink::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void VcenterLink::Loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    changed_ = false;
    if (!settings_) {
      up_.Set(0);
      wake_.wait(lock, [&] { return stop_ || changed_; });
      continue;
    }
    const VcenterSettings settings = *settings_;
    lock.unlock();
    VsphereSettings vs{settings.url,        settings.user,    {},
                       settings.verify_tls, settings.ca_file, settings.timeout};
    std::string error;
    // Read at every use, so a rotated password needs no reload.
    if (auto secret = ReadSecret(settings.password_file, settings.password_env, error)) {
      vs.password = std::move(*secret);
      PlacementRead read = ReadVmPlacement(vs);
      error = read.error;
      if (error.empty()) {
        up_.Set(1);
        on_placement_(std::move(read.vms));
      }
    } else {
      error = "vCenter " + settings.url + ": " + error;
    }
    if (!error.empty()) {
      up_.Set(0);
      failures_.Increment();
      Log(LogLevel::kError, error + "; VM placement stays as last known");
    }
    lock.lock();
    wake_.wait_for(lock, settings.interval, [&] { return stop_ || changed_; });
  }
}

}  // namespace mimamori::collector
