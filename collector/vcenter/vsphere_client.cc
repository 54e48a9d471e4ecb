#include "collector/vcenter/vsphere_client.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string_view>
#include <utility>

namespace mimamori::collector {
namespace {

constexpr std::string_view kSoapEnvelope = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::string_view kVim25 = "urn:vim25";
/// Older vCenters than the one asked for answer in their own version; 6.5
/// is the oldest this reads (RetrievePropertiesEx exists since 4.1).
constexpr const char* kSoapAction = "SOAPAction: \"urn:vim25/6.5\"";

// ---------------------------------------------------------------------------
// XML

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct XmlFree {
  void operator()(xmlChar* p) const { xmlFree(p); }
};

std::string_view Name(const xmlNode* node) { return reinterpret_cast<const char*>(node->name); }

bool Is(const xmlNode* node, std::string_view ns, std::string_view local) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns != nullptr &&
         std::string_view(reinterpret_cast<const char*>(node->ns->href)) == ns &&
         Name(node) == local;
}

const xmlNode* Child(const xmlNode* parent, std::string_view ns, std::string_view local) {
  if (parent == nullptr) return nullptr;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (Is(c, ns, local)) return c;
  }
  return nullptr;
}

const xmlNode* FirstElement(const xmlNode* parent) {
  if (parent == nullptr) return nullptr;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return c;
  }
  return nullptr;
}

std::string Text(const xmlNode* node) {
  if (node == nullptr) return {};
  std::unique_ptr<xmlChar, XmlFree> text(xmlNodeGetContent(node));
  return text ? reinterpret_cast<const char*>(text.get()) : "";
}

std::string Attribute(const xmlNode* node, const char* name) {
  std::unique_ptr<xmlChar, XmlFree> value(xmlGetProp(node, reinterpret_cast<const xmlChar*>(name)));
  return value ? reinterpret_cast<const char*>(value.get()) : "";
}

/// Text for an XML element's content: &, < and > escaped (the user name and
/// password go into the Login request).
std::string Escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// The first element of the SOAP Body; nullptr with `error` set for a
/// fault ("InvalidLogin: Login failure") or a body that is not SOAP.
const xmlNode* BodyElement(const xmlDoc* doc, std::string& error) {
  const xmlNode* envelope = xmlDocGetRootElement(doc);
  if (!Is(envelope, kSoapEnvelope, "Envelope")) {
    error = "the answer is not a SOAP envelope";
    return nullptr;
  }
  const xmlNode* answer = FirstElement(Child(envelope, kSoapEnvelope, "Body"));
  if (answer == nullptr) {
    error = "the SOAP body is empty";
    return nullptr;
  }
  if (Is(answer, kSoapEnvelope, "Fault")) {
    std::string fault;
    for (const xmlNode* c = answer->children; c != nullptr; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      if (Name(c) == "faultstring") error = Text(c);
      if (Name(c) == "detail") {
        if (const xmlNode* detail = FirstElement(c)) fault = std::string(Name(detail));
      }
    }
    if (fault.size() > 5 && fault.ends_with("Fault")) fault.resize(fault.size() - 5);
    if (!fault.empty()) error = fault + ": " + error;
    if (error.empty()) error = "SOAP fault";
    return nullptr;
  }
  return answer;
}

std::unique_ptr<xmlDoc, DocFree> ParseXml(const std::string& body, std::string& error) {
  std::unique_ptr<xmlDoc, DocFree> doc(
      xmlReadMemory(body.data(), static_cast<int>(body.size()), "vsphere.xml", nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc) error = "the answer is not well-formed XML";
  return doc;
}

std::string Envelope(const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
         "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>" +
         body + "</soapenv:Body></soapenv:Envelope>";
}

std::string Moref(std::string_view element, std::string_view type, const std::string& value) {
  return "<" + std::string(element) + " type=\"" + std::string(type) + "\">" + Escape(value) +
         "</" + std::string(element) + ">";
}

// ---------------------------------------------------------------------------
// HTTP: one easy handle per read, so the session cookie Login sets is sent
// with every later call (curl's in-memory cookie engine).

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

class Session {
 public:
  explicit Session(const VsphereSettings& settings) : settings_(settings) {}

  /// Posts one SOAP request; the first element of the answer's body, or
  /// nullptr with `error` naming the call.
  const xmlNode* Call(std::string_view what, const std::string& body, std::string& error) {
    error.clear();
    if (!easy_) {
      easy_.reset(curl_easy_init());
      if (!easy_) {
        error = "curl_easy_init failed";
        return nullptr;
      }
      headers_.reset(curl_slist_append(nullptr, "Content-Type: text/xml; charset=utf-8"));
      headers_.reset(curl_slist_append(headers_.release(), kSoapAction));
    }
    CURL* e = easy_.get();
    answer_.clear();
    request_ = Envelope(body);
    char curl_error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(e, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, request_.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_.size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers_.get());
    curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &answer_);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, settings_.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, settings_.verify_tls ? 2L : 0L);
    if (!settings_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, settings_.ca_file.c_str());
    const CURLcode rc = curl_easy_perform(e);
    if (rc != CURLE_OK) {
      error = std::string(what) + ": " + (curl_error[0] ? curl_error : curl_easy_strerror(rc));
      return nullptr;
    }
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    std::string why;
    doc_ = ParseXml(answer_, why);
    const xmlNode* answer = doc_ ? BodyElement(doc_.get(), why) : nullptr;
    if (answer == nullptr) {
      // A fault comes with HTTP 500; its text says more than the status.
      error = std::string(what) + ": " + why + " (HTTP " + std::to_string(status) + ")";
      return nullptr;
    }
    if (status != 200) {
      error = std::string(what) + ": HTTP " + std::to_string(status);
      return nullptr;
    }
    return answer;
  }

 private:
  const VsphereSettings& settings_;
  std::unique_ptr<CURL, CurlFree> easy_;
  std::unique_ptr<curl_slist, SlistFree> headers_;
  std::string request_;
  std::string answer_;
  std::unique_ptr<xmlDoc, DocFree> doc_;
};

}  // namespace

namespace {

/// The objects of one page, from the first element of the SOAP body.
bool ReadPropertyPage(const xmlNode* answer, PropertyPage& page, std::string& error) {
  if (!Is(answer, kVim25, "RetrievePropertiesExResponse") &&
      !Is(answer, kVim25, "ContinueRetrievePropertiesExResponse")) {
    error = "unexpected answer " + std::string(Name(answer));
    return false;
  }
  page = {};
  // No returnval: nothing matched (an empty inventory).
  const xmlNode* result = Child(answer, kVim25, "returnval");
  if (result == nullptr) return true;
  for (const xmlNode* c = result->children; c != nullptr; c = c->next) {
    if (Is(c, kVim25, "token")) page.token = Text(c);
    if (!Is(c, kVim25, "objects")) continue;
    PropertyPage::Object object;
    const xmlNode* obj = Child(c, kVim25, "obj");
    if (obj == nullptr) continue;
    object.type = Attribute(obj, "type");
    object.moref = Text(obj);
    for (const xmlNode* p = c->children; p != nullptr; p = p->next) {
      if (!Is(p, kVim25, "propSet")) continue;
      const std::string name = Text(Child(p, kVim25, "name"));
      const xmlNode* val = Child(p, kVim25, "val");
      if (name == "name") object.name = Text(val);
      if (name == "runtime.host") object.host_moref = Text(val);
    }
    page.objects.push_back(std::move(object));
  }
  return true;
}

}  // namespace

bool ParsePropertyPage(const std::string& body, PropertyPage& page, std::string& error) {
  auto doc = ParseXml(body, error);
  if (!doc) return false;
  const xmlNode* answer = BodyElement(doc.get(), error);
  return answer != nullptr && ReadPropertyPage(answer, page, error);
}

std::vector<VmPlacement> FoldPlacement(const std::vector<PropertyPage::Object>& objects) {
  std::map<std::string, std::string> host_names;
  for (const auto& o : objects) {
    if (o.type == "HostSystem") host_names[o.moref] = o.name;
  }
  std::vector<VmPlacement> vms;
  for (const auto& o : objects) {
    if (o.type != "VirtualMachine" || o.name.empty()) continue;
    auto host = host_names.find(o.host_moref);
    vms.push_back({o.name, host == host_names.end() ? "" : host->second});
  }
  std::sort(vms.begin(), vms.end(),
            [](const VmPlacement& a, const VmPlacement& b) { return a.vm < b.vm; });
  return vms;
}

PlacementRead ReadVmPlacement(const VsphereSettings& settings) {
  PlacementRead out;
  const std::string where = "vCenter " + settings.url;
  Session session(settings);
  std::string error;

  const xmlNode* content = session.Call("RetrieveServiceContent",
                                        "<RetrieveServiceContent xmlns=\"urn:vim25\">" +
                                            Moref("_this", "ServiceInstance", "ServiceInstance") +
                                            "</RetrieveServiceContent>",
                                        error);
  if (content == nullptr) {
    out.error = where + ": " + error;
    return out;
  }
  const xmlNode* sc = Child(content, kVim25, "returnval");
  const std::string root = Text(Child(sc, kVim25, "rootFolder"));
  const std::string collector = Text(Child(sc, kVim25, "propertyCollector"));
  const std::string views = Text(Child(sc, kVim25, "viewManager"));
  const std::string sessions = Text(Child(sc, kVim25, "sessionManager"));
  if (root.empty() || collector.empty() || views.empty() || sessions.empty()) {
    out.error = where +
                ": the service content lacks rootFolder, propertyCollector, "
                "viewManager or sessionManager (not a vCenter?)";
    return out;
  }

  if (session.Call("Login",
                   "<Login xmlns=\"urn:vim25\">" + Moref("_this", "SessionManager", sessions) +
                       "<userName>" + Escape(settings.user) + "</userName><password>" +
                       Escape(settings.password.Reveal()) + "</password></Login>",
                   error) == nullptr) {
    out.error = where + ": login refused or failed (" + error + ")";
    return out;
  }

  const xmlNode* view = session.Call(
      "CreateContainerView",
      "<CreateContainerView xmlns=\"urn:vim25\">" + Moref("_this", "ViewManager", views) +
          Moref("container", "Folder", root) +
          "<type>VirtualMachine</type><type>HostSystem</type><recursive>true</recursive>"
          "</CreateContainerView>",
      error);
  std::vector<PropertyPage::Object> objects;
  if (view == nullptr) {
    out.error = where + ": " + error;
  } else {
    const std::string view_ref = Text(Child(view, kVim25, "returnval"));
    std::string request =
        "<RetrievePropertiesEx xmlns=\"urn:vim25\">" +
        Moref("_this", "PropertyCollector", collector) +
        "<specSet><propSet><type>VirtualMachine</type><pathSet>name</pathSet>"
        "<pathSet>runtime.host</pathSet></propSet><propSet><type>HostSystem</type>"
        "<pathSet>name</pathSet></propSet><objectSet>" +
        Moref("obj", "ContainerView", view_ref) +
        "<skip>true</skip><selectSet xsi:type=\"TraversalSpec\"><name>view</name>"
        "<type>ContainerView</type><path>view</path><skip>false</skip></selectSet>"
        "</objectSet></specSet><options><maxObjects>1000</maxObjects></options>"
        "</RetrievePropertiesEx>";
    std::string what = "RetrievePropertiesEx";
    // A page limit keeps 10,000 VMs from being one 20 MB answer; a runaway
    // server cannot keep the loop going forever.
    for (int page_number = 0; page_number < 1000; ++page_number) {
      const xmlNode* answer = session.Call(what, request, error);
      if (answer == nullptr) {
        out.error = where + ": " + error;
        break;
      }
      PropertyPage page;
      if (!ReadPropertyPage(answer, page, error)) {
        out.error = where + ": " + what + ": " + error;
        break;
      }
      objects.insert(objects.end(), page.objects.begin(), page.objects.end());
      if (page.token.empty()) break;
      what = "ContinueRetrievePropertiesEx";
      request = "<ContinueRetrievePropertiesEx xmlns=\"urn:vim25\">" +
                Moref("_this", "PropertyCollector", collector) + "<token>" + Escape(page.token) +
                "</token></ContinueRetrievePropertiesEx>";
    }
    session.Call("DestroyView",
                 "<DestroyView xmlns=\"urn:vim25\">" + Moref("_this", "ContainerView", view_ref) +
                     "</DestroyView>",
                 error);
  }
  // Sessions are a limited resource on vCenter: always log out.
  session.Call(
      "Logout",
      "<Logout xmlns=\"urn:vim25\">" + Moref("_this", "SessionManager", sessions) + "</Logout>",
      error);
  if (out.error.empty()) out.vms = FoldPlacement(objects);
  return out;
}

}  // namespace mimamori::collector
