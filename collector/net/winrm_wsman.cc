#include "collector/net/winrm_wsman.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <cstdio>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>

namespace mimamori::collector {
namespace {

const xmlChar* X(const char* text) { return reinterpret_cast<const xmlChar*>(text); }
const xmlChar* X(const std::string& text) { return X(text.c_str()); }

std::string Text(const xmlChar* text) {
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

// xmlInitParser must run once before threads use libxml2.
void InitLibxmlOnce() {
  static const bool initialised = [] {
    xmlInitParser();
    return true;
  }();
  (void)initialised;
}

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct CtxtFree {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};
struct XmlFree {
  void operator()(xmlChar* text) const { xmlFree(text); }
};

std::string Trim(std::string text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::string Content(const xmlNode* node) {
  std::unique_ptr<xmlChar, XmlFree> text(xmlNodeGetContent(node));
  return Text(text.get());
}

bool Is(const xmlNode* node, std::string_view ns, std::string_view local) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns != nullptr &&
         Text(node->ns->href) == ns && Text(node->name) == local;
}

const xmlNode* Child(const xmlNode* parent, std::string_view ns, std::string_view local) {
  if (parent == nullptr) return nullptr;
  for (const xmlNode* child = parent->children; child != nullptr; child = child->next) {
    if (Is(child, ns, local)) return child;
  }
  return nullptr;
}

const xmlNode* FirstElement(const xmlNode* parent) {
  for (const xmlNode* child = parent->children; child != nullptr; child = child->next) {
    if (child->type == XML_ELEMENT_NODE) return child;
  }
  return nullptr;
}

// A QName value ("s:Sender") written with the prefix operators know for its
// namespace, whatever prefix the server declared.
std::string QName(const xmlNode* node) {
  const std::string value = Trim(Content(node));
  const std::size_t colon = value.find(':');
  if (colon == std::string::npos) return value;
  const std::string prefix = value.substr(0, colon);
  const xmlNs* ns = xmlSearchNs(node->doc, const_cast<xmlNode*>(node), X(prefix));
  if (ns == nullptr) return value;
  static const std::pair<std::string_view, std::string_view> kPrefixes[] = {
      {wsman::kSoapEnvelope, "s"},
      {wsman::kWsman, "w"},
      {wsman::kAddressing, "a"},
      {wsman::kMsWsman, "p"},
  };
  const std::string href = Text(ns->href);
  for (const auto& [uri, known] : kPrefixes) {
    if (href == uri) return std::string(known) + value.substr(colon);
  }
  return value;
}

bool IsNil(const xmlNode* node) {
  std::unique_ptr<xmlChar, XmlFree> nil(
      xmlGetNsProp(node, X("nil"), X("http://www.w3.org/2001/XMLSchema-instance")));
  return nil && (Text(nil.get()) == "true" || Text(nil.get()) == "1");
}

WsmanReply Malformed(std::string why) {
  WsmanReply reply;
  reply.kind = WsmanReply::Kind::kMalformed;
  reply.error = std::move(why);
  return reply;
}

WsmanFault ReadFault(const xmlNode* fault) {
  using namespace wsman;
  WsmanFault out;
  const xmlNode* code = Child(fault, kSoapEnvelope, "Code");
  if (const xmlNode* value = Child(code, kSoapEnvelope, "Value")) out.code = QName(value);
  const xmlNode* subcode = Child(code, kSoapEnvelope, "Subcode");
  if (const xmlNode* value = Child(subcode, kSoapEnvelope, "Value")) out.subcode = QName(value);
  const xmlNode* reason = Child(fault, kSoapEnvelope, "Reason");
  if (const xmlNode* text = Child(reason, kSoapEnvelope, "Text")) out.reason = Trim(Content(text));
  const xmlNode* detail = Child(fault, kSoapEnvelope, "Detail");
  if (const xmlNode* wsman_fault = Child(detail, kWsmanFault, "WSManFault")) {
    std::unique_ptr<xmlChar, XmlFree> number(xmlGetProp(wsman_fault, X("Code")));
    out.wsman_code = Text(number.get());
    if (const xmlNode* message = Child(wsman_fault, kWsmanFault, "Message")) {
      out.message = Trim(Content(message));
    }
  }
  return out;
}

}  // namespace

std::string XsDuration(std::chrono::milliseconds duration) {
  const long long ms = duration.count();
  char text[48];
  if (ms % 1000 == 0) {
    std::snprintf(text, sizeof text, "PT%lldS", ms / 1000);
  } else {
    std::snprintf(text, sizeof text, "PT%lld.%03lldS", ms / 1000, ms % 1000);
  }
  return text;
}

std::string NewMessageId() {
  // One generator per thread: std::random_device is slow, and a shared
  // engine would need a lock.
  thread_local std::mt19937_64 engine{std::random_device{}()};
  std::uniform_int_distribution<unsigned> byte(0, 255);
  unsigned char b[16];
  for (unsigned char& c : b) c = static_cast<unsigned char>(byte(engine));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[64];
  std::snprintf(text, sizeof text,
                "uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15]);
  return text;
}

std::string BuildWsmanGet(const WsmanGet& get) {
  using namespace wsman;
  InitLibxmlOnce();
  std::unique_ptr<xmlDoc, DocFree> doc(xmlNewDoc(X("1.0")));
  xmlNode* envelope = xmlNewNode(nullptr, X("Envelope"));
  xmlDocSetRootElement(doc.get(), envelope);
  // pywinrm's prefixes, so a side-by-side reading of both is easy.
  xmlNs* env = xmlNewNs(envelope, X(std::string(kSoapEnvelope)), X("env"));
  xmlNs* a = xmlNewNs(envelope, X(std::string(kAddressing)), X("a"));
  xmlNs* w = xmlNewNs(envelope, X(std::string(kWsman)), X("w"));
  xmlNs* p = xmlNewNs(envelope, X(std::string(kMsWsman)), X("p"));
  xmlSetNs(envelope, env);
  xmlNode* header = xmlNewChild(envelope, env, X("Header"), nullptr);
  // SOAP 1.2's mustUnderstand is in the envelope namespace (pywinrm writes
  // it unqualified; Windows accepts both).
  const auto must_understand = [&](xmlNode* node, const char* value) {
    xmlNewNsProp(node, env, X("mustUnderstand"), X(value));
  };
  xmlNewTextChild(header, a, X("To"), X(get.to));
  xmlNode* reply_to = xmlNewChild(header, a, X("ReplyTo"), nullptr);
  must_understand(xmlNewTextChild(reply_to, a, X("Address"), X(std::string(kAnonymous))), "true");
  must_understand(xmlNewTextChild(header, a, X("Action"), X(std::string(kTransferGet))), "true");
  xmlNewTextChild(header, a, X("MessageID"), X(get.message_id));
  must_understand(xmlNewTextChild(header, w, X("ResourceURI"), X(get.resource_uri)), "true");
  if (!get.selectors.empty()) {
    xmlNode* set = xmlNewChild(header, w, X("SelectorSet"), nullptr);
    for (const auto& [name, value] : get.selectors) {
      xmlNode* selector = xmlNewTextChild(set, w, X("Selector"), X(value));
      xmlNewProp(selector, X("Name"), X(name));
    }
  }
  xmlNewTextChild(header, w, X("OperationTimeout"), X(XsDuration(get.operation_timeout)));
  must_understand(
      xmlNewTextChild(header, w, X("MaxEnvelopeSize"), X(std::to_string(get.max_envelope_size))),
      "true");
  xmlNode* locale = xmlNewChild(header, w, X("Locale"), nullptr);
  xmlNodeSetLang(locale, X(get.locale));
  must_understand(locale, "false");
  xmlNode* data_locale = xmlNewChild(header, p, X("DataLocale"), nullptr);
  xmlNodeSetLang(data_locale, X(get.locale));
  must_understand(data_locale, "false");
  xmlNewChild(envelope, env, X("Body"), nullptr);

  xmlChar* bytes = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc.get(), &bytes, &size, "UTF-8");
  if (bytes == nullptr) throw std::runtime_error("WS-Management: cannot serialise the request");
  std::unique_ptr<xmlChar, XmlFree> owned(bytes);
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size));
}

std::string WsmanFault::Describe() const {
  std::string text = subcode.empty() ? code : subcode;
  const std::string& words = !reason.empty() ? reason : message;
  if (!words.empty()) text += (text.empty() ? "" : ": ") + words;
  std::string extra;
  if (!subcode.empty() && !code.empty()) extra = code;
  if (!wsman_code.empty()) extra += (extra.empty() ? "" : ", ") + ("WSManFault " + wsman_code);
  if (!extra.empty()) text += " (" + extra + ")";
  return text.empty() ? "a SOAP fault without code or reason" : text;
}

bool WsmanFault::InvalidSelectors() const { return subcode == "w:InvalidSelectors"; }

WsmanReply ParseWsmanReply(std::string_view body, std::string_view resource_uri,
                           std::string_view message_id) {
  using namespace wsman;
  InitLibxmlOnce();
  if (body.empty()) return Malformed("empty body, expected a SOAP envelope");
  if (body.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return Malformed("body too large");
  }
  // Per thread in libxml2; the engines' threads are the only users.
  // Parse errors are read from the parser context; libxml2 must not also
  // print them on the collector's stderr. (Generic: the handler's error
  // parameter became const in libxml2 2.12.)
  xmlSetStructuredErrorFunc(nullptr, [](void*, auto*) {});
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt) return Malformed("cannot create an XML parser (out of memory)");
  // No network, no DTD loading, no entity substitution: the answer comes
  // from a machine we watch, not one we trust.
  std::unique_ptr<xmlDoc, DocFree> doc(
      xmlCtxtReadMemory(ctxt.get(), body.data(), static_cast<int>(body.size()), "wsman.xml",
                        nullptr, XML_PARSE_NONET | XML_PARSE_NOCDATA));
  if (!doc || !ctxt->wellFormed) {
    const xmlError* error = xmlCtxtGetLastError(ctxt.get());
    std::string why = "not XML";
    if (error != nullptr && error->message != nullptr) {
      why += ": line " + std::to_string(error->line) + ", column " + std::to_string(error->int2) +
             ": " + Trim(error->message);
    }
    return Malformed(why);
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!Is(root, kSoapEnvelope, "Envelope")) {
    return Malformed("not a SOAP 1.2 envelope (root element " +
                     (root ? "'" + Text(root->name) + "'" : std::string("missing")) + ")");
  }
  if (!message_id.empty()) {
    const xmlNode* header = Child(root, kSoapEnvelope, "Header");
    if (const xmlNode* relates = Child(header, kAddressing, "RelatesTo")) {
      const std::string to = Trim(Content(relates));
      if (!to.empty() && to != message_id) {
        return Malformed("answer relates to " + to + ", not to request " + std::string(message_id));
      }
    }
  }
  const xmlNode* soap_body = Child(root, kSoapEnvelope, "Body");
  if (soap_body == nullptr) return Malformed("SOAP envelope without a Body");
  const xmlNode* content = FirstElement(soap_body);
  if (content == nullptr) return Malformed("empty SOAP Body");
  if (Is(content, kSoapEnvelope, "Fault")) {
    WsmanReply reply;
    reply.kind = WsmanReply::Kind::kFault;
    reply.fault = ReadFault(content);
    return reply;
  }
  const std::string_view resource_name = resource_uri.substr(resource_uri.rfind('/') + 1);
  if (!Is(content, resource_uri, resource_name)) {
    const std::string ns = content->ns ? Text(content->ns->href) : std::string("no namespace");
    return Malformed("SOAP Body holds '" + Text(content->name) + "' (" + ns + "), not a " +
                     std::string(resource_name) + " instance");
  }
  WsmanReply reply;
  reply.kind = WsmanReply::Kind::kInstance;
  for (const xmlNode* property = content->children; property != nullptr;
       property = property->next) {
    if (property->type != XML_ELEMENT_NODE || IsNil(property)) continue;
    reply.properties[Text(property->name)] = Content(property);
  }
  return reply;
}

}  // namespace mimamori::collector
