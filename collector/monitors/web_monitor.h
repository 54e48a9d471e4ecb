// Web application monitoring (Webアプリケーション監視): does each listed URL
// of a node answer, in time, with the expected page? Spec section 1: every
// 5 min; no response within 5 s, or not the expected body = failure.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

/// One "web" monitor for a node with web checks, none otherwise. Each check
/// GETs every URL at once through services.http and reports, in inventory
/// order, one result per URL named "web:<name>" (the check's name, or its URL
/// when it has none). Judged in this order, the first failure wins:
///   1. no complete response within the check's timeout -> CRITICAL
///      "no complete response within 5 s: <curl's reason>";
///   2. status other than expected_status (default 200 only, as Hinemos) ->
///      CRITICAL "HTTP 500, expected 200";
///   3. body_regex set and std::regex_search finds no match in the body ->
///      CRITICAL "body does not match /OK/";
///   otherwise OK "HTTP 200 in 0.012 s". The value is the response time.
/// The regex is ECMAScript without back-references, compiled once when the
/// monitor is made and matched breadth-first so that a long page cannot
/// overflow the stack. The search runs on the HTTP client's thread and can
/// still cost up to (body length)^2 for patterns like "a.*Z" on a page full
/// of "a" (std::regex has no linear-time mode). A regex that does not
/// compile (the inventory loader should reject it first) makes step 3
/// UNKNOWN "HTTP 200, but invalid body regex /(/: ...", as does a search
/// libstdc++ gives up on; steps 1 and 2 are still judged.
///
/// Measurements per URL: mimamori_web_up{url}, mimamori_web_duration_seconds
/// {url} (also for failures: how long until the answer or the give-up), and
/// mimamori_web_status_code{url} when a status line arrived. User and
/// password in a URL (http://user:pass@host/) never appear in names, reasons
/// or labels.
///
/// The monitor copies what it needs from `node`; `services` must outlive it.
/// A check still running when the monitor is destroyed completes safely.
std::vector<std::unique_ptr<Monitor>> MakeWebMonitors(const Node& node, const Inventory& inventory,
                                                      MonitorServices& services);

/// `url` without its password: "http://user:***@host/" (for names, reasons,
/// labels and logs).
std::string RedactUrl(const std::string& url);

}  // namespace mimamori::collector
