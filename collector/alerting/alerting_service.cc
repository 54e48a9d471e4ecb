#include "collector/alerting/alerting_service.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/alerting/incident_engine.h"
#include "collector/alerting/inventory_log.h"
#include "collector/alerting/ledger_access.h"
#include "collector/alerting/outbox.h"
#include "collector/alerting/phone_sender.h"
#include "collector/alerting/smtp_sender.h"
#include "collector/core/log.h"

namespace mimamori::collector {
namespace {

/// The sender looks at the ledger at least this often, so reports queued by
/// mimamorictl (another process) go out within about a second.
constexpr std::chrono::milliseconds kSenderPoll{1000};
constexpr std::chrono::milliseconds kIncidentTurn{250};
// About 50 ms of a PostgreSQL server per transaction.
constexpr std::size_t kSamplesPerTransaction = 2000;

SmtpSettings SmtpFrom(const MailSettings& m) {
  SmtpSettings s;
  s.url = m.url;
  s.starttls = m.starttls;
  s.user = m.user;
  s.password_file = m.password_file;
  s.password_env = m.password_env;
  s.from = m.from;
  s.timeout = m.timeout;
  return s;
}

}  // namespace

std::string MessageDomain() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "mimamori.invalid";
  return name;
}

struct AlertingService::Impl {
  Impl(EventQueue& e, const Clock& c, prometheus::Registry& registry)
      : events(e),
        clock(c),
        opened(prometheus::BuildCounter()
                   .Name("mimamori_incidents_opened_total")
                   .Help("Incidents opened by the engine, by scope (vm, platform)")
                   .Register(registry)),
        closed(prometheus::BuildCounter()
                   .Name("mimamori_incidents_closed_total")
                   .Help("Incidents closed because every monitor recovered")
                   .Register(registry)
                   .Add({})),
        suppressed(prometheus::BuildCounter()
                       .Name("mimamori_failures_suppressed_total")
                       .Help("Failures inside a suppression window (recorded, no incident)")
                       .Register(registry)
                       .Add({})),
        ledger_errors(prometheus::BuildCounter()
                          .Name("mimamori_ledger_errors_total")
                          .Help("Ledger writes or reads that failed; each one is logged")
                          .Register(registry)),
        reports(prometheus::BuildCounter()
                    .Name("mimamori_report_attempts_total")
                    .Help("Report delivery attempts by outcome (sent, retried, failed)")
                    .Register(registry)),
        waiting(prometheus::BuildGauge()
                    .Name("mimamori_failures_grouping")
                    .Help("Failures waiting in a grouping window")
                    .Register(registry)
                    .Add({})),
        record_delay(prometheus::BuildHistogram()
                         .Name("mimamori_change_record_seconds")
                         .Help("From the check that confirmed a state change to its commit in "
                               "the ledger (a crash inside it could still lose the change)")
                         .Register(registry)
                         .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05,
                                                                          0.1, 0.5, 1, 5})),
        past_target(prometheus::BuildGauge()
                        .Name("mimamori_incidents_past_recovery_target")
                        .Help("Open incidents past their recovery-completion target (A 60 min, "
                              "B 4 h, C next business day), by level")
                        .Register(registry)),
        alive(prometheus::BuildGauge()
                  .Name("mimamori_alerting_up")
                  .Help("1 while the incident and sender threads run")
                  .Register(registry)
                  .Add({})) {}

  EventQueue& events;
  const Clock& clock;
  prometheus::Family<prometheus::Counter>& opened;
  prometheus::Counter& closed;
  prometheus::Counter& suppressed;
  prometheus::Family<prometheus::Counter>& ledger_errors;
  prometheus::Family<prometheus::Counter>& reports;
  prometheus::Gauge& waiting;
  prometheus::Histogram& record_delay;
  prometheus::Family<prometheus::Gauge>& past_target;
  prometheus::Gauge& alive;

  std::shared_ptr<const std::atomic<std::int64_t>> fencing_term;

  std::optional<Ledger> engine_ledger, outbox_ledger;
  std::unique_ptr<SmtpSender> smtp;
  std::unique_ptr<PhoneSender> phone;
  std::optional<Outbox> outbox;
  AlertingContext first_context;
  std::vector<InheritedState> inherited;

  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  bool sender_poked = false;
  std::optional<AlertingContext> next_context;
  std::optional<std::vector<MonitorState>> snapshot;

  std::thread incident_thread, sender_thread;

  void IncidentLoop();
  void SenderLoop();
  bool Stopping() {
    std::lock_guard lock(mutex);
    return stop;
  }
  void PokeSender() {
    std::lock_guard lock(mutex);
    sender_poked = true;
    wake.notify_all();
  }
};

AlertingService::AlertingService(EventQueue& events, const Clock& clock,
                                 prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(events, clock, registry)) {}

AlertingService::~AlertingService() { Stop(); }

void AlertingService::SetFencingTerm(std::shared_ptr<const std::atomic<std::int64_t>> term) {
  impl_->fencing_term = std::move(term);
}

std::string AlertingService::Start(AlertingContext context) {
  Impl& s = *impl_;
  const AlertingSettings& a = context.inventory->alerting;
  LedgerOptions options;
  options.message_id_domain = context.message_domain;
  options.fencing_term = s.fencing_term;
  for (auto* slot : {&s.engine_ledger, &s.outbox_ledger}) {
    auto opened = OpenLedgerAt(a.ledger, a, options);
    if (!opened) return opened.error().message;
    slot->emplace(std::move(*opened));
  }
  if (!a.mail.url.empty()) {
    s.smtp = std::make_unique<SmtpSender>(SmtpFrom(a.mail));
  } else {
    Log(LogLevel::kWarning,
        "alerting.mail.url is not set: reports are recorded and queued, and go out once mail is "
        "configured");
  }
  s.phone = MakePhoneSender(a.phone);
  OutboxSettings settings;
  settings.from = a.mail.from;
  settings.from_name = a.mail.from_name;
  for (const Owner& o : a.on_duty) settings.on_duty.push_back(o.mail);
  settings.retry = a.retry;
  settings.platform_name = context.inventory->platform_name;
  s.outbox.emplace(*s.outbox_ledger, s.smtp.get(), s.phone.get(), settings, s.clock);
  if (auto e = s.outbox->Recover()) return e->message;
  auto inherited = InheritedStates(*s.engine_ledger);
  if (!inherited) return inherited.error().message;
  s.inherited = std::move(*inherited);
  s.first_context = std::move(context);
  s.alive.Set(1);
  s.incident_thread = std::thread([&s] { s.IncidentLoop(); });
  s.sender_thread = std::thread([&s] { s.SenderLoop(); });
  Log(LogLevel::kInfo, "alerting started: ledger " + a.ledger + ", mail " +
                           (a.mail.url.empty() ? std::string("not configured") : a.mail.url) +
                           ", phone " + (s.phone ? s.phone->Describe() : "by on-duty mail"));
  return "";
}

const std::vector<InheritedState>& AlertingService::inherited() const { return impl_->inherited; }

void AlertingService::Reload(AlertingContext context) {
  std::lock_guard lock(impl_->mutex);
  impl_->next_context = std::move(context);
}

void AlertingService::OfferSnapshot(std::vector<MonitorState> states) {
  std::lock_guard lock(impl_->mutex);
  impl_->snapshot = std::move(states);
}

void AlertingService::Stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop = true;
    impl_->wake.notify_all();
  }
  if (impl_->incident_thread.joinable()) impl_->incident_thread.join();
  if (impl_->sender_thread.joinable()) impl_->sender_thread.join();
  impl_->alive.Set(0);
}

void AlertingService::Impl::IncidentLoop() {
  IncidentEngine engine(*engine_ledger, clock, first_context);
  if (fencing_term) engine.EnableForwardedChanges();
  const TimePoint started = clock.Now();
  IncidentEngineStats seen;
  auto& opened_vm = opened.Add({{"scope", "vm"}});
  auto& opened_platform = opened.Add({{"scope", "platform"}});
  auto& errors = ledger_errors.Add({{"thread", "incident"}});
  std::vector<std::pair<std::string, prometheus::Gauge*>> past_target_by_level;
  for (const char* level : {"A", "B", "C", "C-dev", ""}) {
    past_target_by_level.emplace_back(level,
                                      &past_target.Add({{"level", *level ? level : "platform"}}));
  }
  // The inventory change log, at start and at each reload (in this thread,
  // which owns the engine's ledger connection).
  const auto record_inventory = [&](const AlertingContext& ctx) {
    if (auto changes = RecordInventoryChanges(*engine_ledger, *ctx.inventory, clock.Now());
        !changes) {
      errors.Increment();
      Log(LogLevel::kError, "recording the inventory change log: " + changes.error().message);
    }
  };
  record_inventory(first_context);
  // Per "node NUL monitor": the check time of the last resource sample
  // recorded.
  std::unordered_map<std::string, TimePoint> recorded_sample;
  while (!Stopping()) {
    std::optional<AlertingContext> context;
    std::optional<std::vector<MonitorState>> current;
    {
      std::lock_guard lock(mutex);
      context.swap(next_context);
      current.swap(snapshot);
    }
    if (context) {
      // Nodes a reload removed are dropped from it too (the next snapshot
      // offers every sample again; the ledger keeps each once).
      recorded_sample.clear();
      record_inventory(*context);
      engine.SetContext(std::move(*context));
    }
    engine.Accept(events.WaitAndDrain(kIncidentTurn));
    // An HA pair shares the polling: the followers' changes wait in the
    // ledger for this engine.
    engine.TakeForwardedChanges();
    for (double seconds : engine.TakeRecordDelays()) record_delay.Observe(seconds);
    if (current) {
      engine.Reconcile(*current, started);
      // The monthly report's resource usage: each resource check's value,
      // once. The ledger ignores a sample it already has, but a snapshot
      // comes every 30 s and most of its samples were recorded by the one
      // before: only those newer than what this thread recorded go (at
      // 100,000 nodes, 100,000 upserts per snapshot otherwise, each a
      // no-op on the server). In transactions of kSamplesPerTransaction: a
      // PostgreSQL ledger has one writer at a time, and 100,000 samples in
      // one held the sender's "report sent" (and the lock_timeout) for
      // seconds. After a failed write the rest go again next time.
      const auto key_of = [](const std::string& node, const std::string& monitor) {
        return node + '\0' + monitor;
      };
      std::vector<std::vector<ResourceSample>> parts(1);
      for (const MonitorState& m : *current) {
        if (m.kind == "resource" && m.value && m.last_result != Status::kUnknown &&
            m.last_checked != TimePoint{}) {
          if (auto it = recorded_sample.find(key_of(m.node, m.monitor));
              it != recorded_sample.end() && it->second >= m.last_checked) {
            continue;
          }
          if (parts.back().size() == kSamplesPerTransaction) parts.emplace_back();
          parts.back().push_back({m.node, m.monitor, m.last_checked, *m.value});
        }
      }
      for (const std::vector<ResourceSample>& part : parts) {
        if (auto e = engine_ledger->RecordResourceUsage(part)) {
          errors.Increment();
          Log(LogLevel::kError, "recording resource usage: " + e->message);
          break;
        }
        for (const ResourceSample& sample : part) {
          recorded_sample[key_of(sample.node, sample.monitor)] = sample.at;
        }
      }
    }
    engine.Tick();

    const IncidentEngineStats& now = engine.stats();
    const std::uint64_t platform = now.platform_incidents_opened - seen.platform_incidents_opened;
    opened_platform.Increment(static_cast<double>(platform));
    opened_vm.Increment(
        static_cast<double>(now.incidents_opened - seen.incidents_opened - platform));
    closed.Increment(static_cast<double>(now.incidents_closed - seen.incidents_closed));
    suppressed.Increment(static_cast<double>(now.suppressed_changes - seen.suppressed_changes));
    errors.Increment(static_cast<double>(now.ledger_errors - seen.ledger_errors));
    waiting.Set(static_cast<double>(engine.waiting()));
    for (const auto& [level, gauge] : past_target_by_level) {
      auto it = now.past_recovery_target.find(level);
      gauge->Set(it == now.past_recovery_target.end() ? 0 : it->second);
    }
    const bool queued = now.incidents_opened != seen.incidents_opened ||
                        now.incidents_closed != seen.incidents_closed ||
                        now.incidents_updated != seen.incidents_updated ||
                        now.reports_queued != seen.reports_queued;
    seen = now;
    if (queued) PokeSender();
  }
}

void AlertingService::Impl::SenderLoop() {
  auto& sent = reports.Add({{"outcome", "sent"}});
  auto& retried = reports.Add({{"outcome", "retried"}});
  auto& failed = reports.Add({{"outcome", "failed"}});
  auto& errors = ledger_errors.Add({{"thread", "sender"}});
  while (!Stopping()) {
    Outbox::Pass pass = outbox->RunOnce();
    sent.Increment(pass.sent);
    retried.Increment(pass.retried);
    failed.Increment(pass.failed_permanently);
    if (pass.error) errors.Increment();
    auto wait = kSenderPoll;
    if (pass.next_attempt) {
      auto until =
          std::chrono::duration_cast<std::chrono::milliseconds>(*pass.next_attempt - clock.Now());
      wait = std::clamp(until, std::chrono::milliseconds(10), kSenderPoll);
    }
    std::unique_lock lock(mutex);
    wake.wait_for(lock, wait, [this] { return stop || sender_poked; });
    sender_poked = false;
  }
}

}  // namespace mimamori::collector
