#include "collector/ctl/args.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace mimamori::collector::ctl {

std::optional<GlobalOptions> ParseGlobalOptions(const std::vector<std::string>& args,
                                                std::string& error) {
  GlobalOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      options.rest.insert(options.rest.end(), args.begin() + static_cast<long>(i), args.end());
      break;
    }
    // "--config=PATH" and "--config PATH" both work, as for command options.
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    auto value = [&]() -> std::optional<std::string> {
      if (inline_value) return inline_value;
      if (i + 1 >= args.size()) {
        error = name + " needs a value";
        return std::nullopt;
      }
      return args[++i];
    };
    if (name == "--config" || name == "-c") {
      auto v = value();
      if (!v) return std::nullopt;
      options.config = *v;
      options.config_given = true;
    } else if (name == "--ledger") {
      auto v = value();
      if (!v) return std::nullopt;
      options.ledger = *v;
    } else if (name == "--as") {
      auto v = value();
      if (!v) return std::nullopt;
      options.actor = *v;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--version") {
      options.version = true;
    } else {
      options.rest.push_back(arg);
    }
  }
  if (options.actor.empty()) options.actor = DefaultActor();
  return options;
}

std::string DefaultActor() {
  for (const char* name : {"SUDO_USER", "USER", "LOGNAME"}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return v;
  }
  if (const char* login = ::getlogin(); login != nullptr && *login != '\0') return login;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "";
}

std::optional<std::string> CommandArgs::Value(const std::string& option) const {
  auto it = values.find(option);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::optional<CommandArgs> ParseCommandArgs(const std::vector<std::string>& words,
                                            const OptionSpec& spec, std::string& error) {
  CommandArgs parsed;
  bool options_ended = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (options_ended || word.size() < 2 || word[0] != '-') {
      parsed.positional.push_back(word);
      continue;
    }
    if (word == "--") {
      options_ended = true;
      continue;
    }
    std::string name = word;
    std::optional<std::string> inline_value;
    if (const auto eq = word.find('='); eq != std::string::npos) {
      name = word.substr(0, eq);
      inline_value = word.substr(eq + 1);
    }
    if (spec.flags.count(name) && !inline_value) {
      parsed.flags.insert(name);
    } else if (spec.with_value.count(name)) {
      if (parsed.values.count(name)) {
        error = name + " given twice";
        return std::nullopt;
      }
      if (inline_value) {
        parsed.values[name] = *inline_value;
      } else if (i + 1 < words.size()) {
        parsed.values[name] = words[++i];
      } else {
        error = name + " needs a value";
        return std::nullopt;
      }
    } else {
      error = "unknown option " + name;
      return std::nullopt;
    }
  }
  return parsed;
}

}  // namespace mimamori::collector::ctl
