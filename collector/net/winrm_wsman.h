// WS-Management (MS-WSMV) messages of the Windows service monitor: the
// WS-Transfer Get request and the reading of its answer. Only
// winrm_wsman.cc includes libxml2.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mimamori::collector {

namespace wsman {
inline constexpr std::string_view kSoapEnvelope = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view kAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
inline constexpr std::string_view kWsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
inline constexpr std::string_view kMsWsman = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd";
inline constexpr std::string_view kWsmanFault =
    "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault";
inline constexpr std::string_view kTransferGet =
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
inline constexpr std::string_view kAnonymous =
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
inline constexpr std::string_view kWin32Service =
    "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service";
}  // namespace wsman

/// What a Get asks for. The header carries what pywinrm (and Windows' own
/// client) send: To, ReplyTo, Action, MessageID, ResourceURI, SelectorSet,
/// OperationTimeout, MaxEnvelopeSize, Locale and DataLocale.
struct WsmanGet {
  std::string to;            ///< the endpoint, "http://10.0.0.5:5985/wsman"
  std::string resource_uri;  ///< e.g. wsman::kWin32Service
  std::vector<std::pair<std::string, std::string>> selectors;  ///< {"Name", "W3SVC"}
  std::string message_id;                                      ///< "uuid:..."
  /// How long the server may work on it (w:OperationTimeout, "PT5S").
  std::chrono::milliseconds operation_timeout{5000};
  int max_envelope_size = 153600;  ///< pywinrm's value
  std::string locale = "en-US";
};

/// The SOAP 1.2 envelope of `get`, UTF-8. Text is escaped by libxml2, so a
/// service name with "<" or "&" cannot change the message's structure.
std::string BuildWsmanGet(const WsmanGet& get);

/// A fresh "uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (random, version 4).
std::string NewMessageId();

/// "PT5S", "PT0.300S" (xs:duration).
std::string XsDuration(std::chrono::milliseconds duration);

/// A SOAP fault as the operator needs it. QNames are written with the
/// usual prefixes whatever the server chose ("s:Sender",
/// "w:InvalidSelectors"); unknown namespaces keep the server's prefix.
struct WsmanFault {
  std::string code;        ///< s:Code/s:Value
  std::string subcode;     ///< s:Code/s:Subcode/s:Value; may be empty
  std::string reason;      ///< s:Reason/s:Text, trimmed
  std::string wsman_code;  ///< s:Detail/f:WSManFault/@Code (Windows error number); may be empty
  std::string message;     ///< f:WSManFault/f:Message, trimmed; may be empty

  /// "w:InvalidSelectors: The WS-Management service cannot process ...
  /// (s:Sender, WSManFault 2150858843)".
  std::string Describe() const;
  /// The subcode is wsman's InvalidSelectors: no instance matches the
  /// selectors (for Win32_Service: no service of that name).
  bool InvalidSelectors() const;
};

/// The answer to a Get, read with libxml2 (namespace-aware; no network
/// access, no DTDs, no entity expansion).
struct WsmanReply {
  enum class Kind {
    kInstance,   ///< Body holds the resource's instance
    kFault,      ///< Body holds a SOAP fault
    kMalformed,  ///< not XML, not a SOAP 1.2 envelope, or an unexpected body
  };
  Kind kind = Kind::kMalformed;
  /// kInstance: the instance's properties by local name (p:State ->
  /// "State"); xsi:nil properties are left out.
  std::map<std::string, std::string> properties;
  WsmanFault fault;   ///< kFault
  std::string error;  ///< kMalformed: why, e.g. "not XML: line 1, column 1: Start tag expected"
};

/// Reads `body`. An instance must be an element of the resource's namespace
/// named after the resource's last path segment (Win32_Service), as Windows
/// answers. When `message_id` is given and the answer has a RelatesTo
/// header, they must match (an answer to another request is kMalformed).
WsmanReply ParseWsmanReply(std::string_view body, std::string_view resource_uri,
                           std::string_view message_id = {});

}  // namespace mimamori::collector
