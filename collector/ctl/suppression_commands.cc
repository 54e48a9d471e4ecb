// suppress add|list|cancel: temporary suppression windows (spec section 5).
// The start and resumption mails are queued by the collector when the window
// starts and ends, so the CLI only records the window; it checks the target
// against the inventory first, since a window on a misspelt node would
// silently suppress nothing.
#include <charconv>
#include <iostream>

#include "collector/ctl/commands.h"
#include "collector/ctl/format.h"

namespace mimamori::collector::ctl {
namespace {

constexpr const char* kSuppressUsage =
    "mimamorictl suppress add (--node N | --system S) --start \"YYYY-MM-DD HH:MM\" "
    "--end \"YYYY-MM-DD HH:MM\" --reason R\n"
    "       mimamorictl suppress list [--all]\n"
    "       mimamorictl suppress cancel ID";

int UsageError(const std::string& why) {
  return Fail(kExitUsage, why + "\nusage: " + kSuppressUsage);
}

std::string Label(SuppressionId id) { return "suppression " + std::to_string(id); }

std::string Target(const Suppression& s) {
  return std::string(ToString(s.target_kind)) + " " + s.target;
}

std::string State(const Suppression& s, TimePoint now) {
  if (s.cancelled_at && *s.cancelled_at <= now) {
    return "cancelled " + FormatTokyoTime(*s.cancelled_at);
  }
  if (now < s.starts_at) return "scheduled";
  if (now < s.ends_at) return "active";
  return "ended";
}

/// State() without the cancellation time, for JSON.
std::string StateName(const Suppression& s, TimePoint now) {
  const std::string state = State(s, now);
  return state.substr(0, state.find(' '));
}

int Add(Session& session, const CommandArgs& args) {
  if (args.positional.size() > 1) {
    return UsageError("unexpected argument '" + args.positional[1] + "' (quote the --reason text)");
  }
  const auto node = args.Value("--node");
  const auto system = args.Value("--system");
  if (node.has_value() == system.has_value()) {
    return UsageError("give exactly one of --node N or --system S");
  }
  const auto start_text = args.Value("--start");
  const auto end_text = args.Value("--end");
  if (!start_text || !end_text) return UsageError("missing --start or --end");
  const auto start = ParseTokyoTime(*start_text);
  if (!start) return UsageError("--start '" + *start_text + "' " + TokyoTimeProblem(*start_text));
  const auto end = ParseTokyoTime(*end_text);
  if (!end) return UsageError("--end '" + *end_text + "' " + TokyoTimeProblem(*end_text));
  if (*end <= *start) {
    return UsageError("--end " + *end_text + " is not after --start " + *start_text);
  }
  if (*end <= session.now()) {
    return UsageError("--end " + *end_text + " has already passed: nothing would be suppressed");
  }
  const std::string reason = args.Value("--reason").value_or("");
  if (reason.empty()) return UsageError("missing --reason (why monitoring is suppressed)");
  if (session.actor().empty()) return UsageError("no operator name: give --as NAME");

  if (auto failed = session.LoadInventory()) return *failed;
  const Inventory& inventory = *session.inventory();
  NewSuppression suppression;
  std::string system_name;
  if (node) {
    const Node* found = inventory.FindNode(*node);
    if (!found) {
      return Fail(kExitUsage, "unknown node '" + *node + "': not in " + inventory.source);
    }
    suppression.target_kind = SuppressionTarget::kNode;
    suppression.target = *node;
    system_name = found->system;
  } else {
    if (!inventory.FindSystem(*system)) {
      return Fail(kExitUsage, "unknown system '" + *system + "': not in " + inventory.source);
    }
    suppression.target_kind = SuppressionTarget::kSystem;
    suppression.target = *system;
    system_name = *system;
  }
  suppression.starts_at = *start;
  suppression.ends_at = *end;
  suppression.reason = reason;
  suppression.requested_by = session.actor();
  suppression.created_at = session.now();

  if (auto failed = session.OpenLedger(false)) return *failed;
  auto id = AddSuppressionWindow(session.ledger(), inventory, suppression);
  if (!id) return FailLedger("add suppression of " + suppression.target, id.error());
  if (session.json()) {
    Json json;
    json.BeginObject()
        .Key("suppression")
        .Number(*id)
        .Key("target_kind")
        .String(ToString(suppression.target_kind))
        .Key("target")
        .String(suppression.target)
        .Key("starts_at")
        .Time(suppression.starts_at)
        .Key("ends_at")
        .Time(suppression.ends_at)
        .EndObject();
    std::cout << json.str() << "\n";
    return kExitOk;
  }
  std::cout << Label(*id) << ": " << ToString(suppression.target_kind) << " " << suppression.target
            << (system_name.empty() || node == std::nullopt ? "" : " (" + system_name + ")")
            << " suppressed " << FormatTokyoTime(*start) << " - " << FormatTokyoTime(*end)
            << "; the collector mails 監視一時抑止開始連絡 at the start and 監視再開連絡 at the "
               "end\n";
  return kExitOk;
}

int List(Session& session, const CommandArgs& args) {
  if (args.positional.size() > 1)
    return UsageError("unexpected argument '" + args.positional[1] + "'");
  if (auto failed = session.LoadInventory(false)) return *failed;
  if (auto failed = session.OpenLedger(true)) return *failed;
  const TimePoint now = session.now();
  // Without --all: what is in force or still to come.
  auto list = session.ledger().ListSuppressions(args.Has("--all") ? TimePoint{} : now);
  if (!list) return FailLedger("list suppressions", list.error());
  if (session.json()) {
    Json json;
    json.BeginArray();
    for (const Suppression& s : *list) {
      json.BeginObject()
          .Key("id")
          .Number(s.id)
          .Key("target_kind")
          .String(ToString(s.target_kind))
          .Key("target")
          .String(s.target)
          .Key("starts_at")
          .Time(s.starts_at)
          .Key("ends_at")
          .Time(s.ends_at)
          .Key("state")
          .String(StateName(s, now))
          .Key("reason")
          .String(s.reason)
          .Key("requested_by")
          .String(s.requested_by)
          .Key("created_at")
          .Time(s.created_at)
          .Key("cancelled_at")
          .Time(s.cancelled_at)
          .Key("start_mail_sent")
          .Bool(s.start_mail_sent)
          .Key("end_mail_sent")
          .Bool(s.end_mail_sent)
          .EndObject();
    }
    json.EndArray();
    std::cout << json.str() << "\n";
    return kExitOk;
  }
  if (list->empty()) {
    std::cout << (args.Has("--all") ? "no suppressions\n"
                                    : "no suppressions in force or scheduled\n");
    return kExitOk;
  }
  Table table({"ID", "TARGET", "START", "END", "STATE", "START MAIL", "END MAIL", "BY", "REASON"});
  for (const Suppression& s : *list) {
    table.Add({std::to_string(s.id), Target(s), FormatTokyoTime(s.starts_at),
               FormatTokyoTime(s.ends_at), State(s, now), s.start_mail_sent ? "sent" : "-",
               s.end_mail_sent ? "sent" : "-", s.requested_by, s.reason});
  }
  std::cout << table.Render();
  return kExitOk;
}

int Cancel(Session& session, const CommandArgs& args) {
  if (args.positional.size() != 2) {
    return UsageError(args.positional.size() < 2
                          ? "missing suppression ID"
                          : "unexpected argument '" + args.positional[2] + "'");
  }
  SuppressionId id = 0;
  const std::string& text = args.positional[1];
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return UsageError("suppression ID '" + text + "' is not a positive number");
  }
  if (auto failed = session.LoadInventory(false)) return *failed;
  if (auto failed = session.OpenLedger(false)) return *failed;
  auto existing = session.ledger().GetSuppression(id);
  if (!existing) {
    if (existing.error().kind == LedgerErrorKind::kNotFound) {
      return Fail(kExitRefused, Label(id) + ": not found");
    }
    return FailLedger(Label(id), existing.error());
  }
  if (existing->cancelled_at) {
    return Fail(kExitRefused,
                Label(id) + ": already cancelled at " + FormatTokyoTime(*existing->cancelled_at));
  }
  if (existing->ends_at <= session.now()) {
    return Fail(kExitRefused,
                Label(id) + ": already ended at " + FormatTokyoTime(existing->ends_at));
  }
  if (auto error = CancelSuppressionWindow(session.ledger(), id, session.now())) {
    return FailLedger("cancel " + Label(id), *error);
  }
  if (session.json()) {
    Json json;
    json.BeginObject().Key("suppression").Number(id).Key("cancelled_at").Time(session.now());
    json.EndObject();
    std::cout << json.str() << "\n";
    return kExitOk;
  }
  std::cout << Label(id) << ": cancelled (" << Target(*existing) << ")"
            << (session.now() >= existing->starts_at
                    ? "; monitoring resumes now and the collector mails 監視再開連絡"
                    : "; it had not started yet")
            << "\n";
  return kExitOk;
}

}  // namespace

int SuppressCommand(Session& session, const Words& words) {
  std::string error;
  auto args = ParseCommandArgs(
      words, {{"--node", "--system", "--start", "--end", "--reason"}, {"--all"}}, error);
  if (!args) return UsageError(error);
  if (args->positional.empty()) return UsageError("missing add, list or cancel");
  const std::string& verb = args->positional[0];
  // Options of one verb given to another are mistakes worth naming.
  if (verb == "add") {
    if (args->Has("--all")) return UsageError("--all belongs to suppress list");
    return Add(session, *args);
  }
  if (!args->values.empty()) {
    return UsageError(args->values.begin()->first + " belongs to suppress add");
  }
  if (verb == "list") return List(session, *args);
  if (args->Has("--all")) return UsageError("--all belongs to suppress list");
  if (verb == "cancel") return Cancel(session, *args);
  return UsageError("unknown suppress command '" + verb + "'");
}

}  // namespace mimamori::collector::ctl
