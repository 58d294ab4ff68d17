// render_report: the self-contained HTML report (docs/dashboard.md, "The report").
#include <memory>
#include <set>

#include "autoglm/dashboard.h"
#include "autoglm/error.h"
#include "dashboard/api.h"
#include "dashboard/assets.h"

namespace autoglm {

namespace {

using json = nlohmann::json;

/// `text` with every case-insensitive occurrence of `needle` ("</script") written with "<\/".
std::string escape_closing(std::string_view text, std::string_view needle) {
  std::string out;
  out.reserve(text.size() + 64);
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find("</", i);
    if (j == std::string_view::npos) break;
    bool match = j + needle.size() <= text.size();
    for (std::size_t k = 2; match && k < needle.size(); ++k) {
      char c = text[j + k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      match = c == needle[k];
    }
    out.append(text.substr(i, j - i));
    out += match ? "<\\/" : "</";
    i = j + 2;
  }
  out.append(text.substr(i));
  return out;
}

/// JSON text safe inside a <script> element: <, >, & and U+2028/U+2029 as \u escapes (they only
/// occur inside JSON strings, where the escape means the same character).
std::string script_safe_json(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' && (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view asset(const char* name) {
  const dashboard::EmbeddedAsset* a = dashboard::find_asset(name);
  return a ? a->data : std::string_view();
}

std::string inline_script(const char* name, bool module) {
  return std::string(module ? "<script type=\"module\">" : "<script>") + escape_closing(asset(name), "</script") + "</script>";
}

std::string inline_style() { return "<style>" + escape_closing(asset("app.css"), "</style") + "</style>"; }

/// Inserts `what` before the first case-insensitive `</tag>` of `html` (or at its end).
void insert_before(std::string& html, const std::string& closing, const std::string& what) {
  std::size_t pos = html.find(closing);
  if (pos == std::string::npos) {
    std::string upper = closing;
    for (char& c : upper)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    pos = html.find(upper);
  }
  if (pos == std::string::npos) pos = html.size();
  html.insert(pos, what + "\n");
}

}  // namespace

std::string render_report(Storage& storage, const std::string& study_name) {
  const int64_t id = storage.get_study_id_from_name(study_name);  // NotFoundError when unknown
  // The Api wants shared ownership; the caller owns the storage for the whole call.
  std::shared_ptr<Storage> shared(std::shared_ptr<Storage>(), &storage);
  dashboard::Api api(shared, 0.0);
  json responses = json::object();
  const std::string base = "/api/studies/" + std::to_string(id);
  auto bake = [&](const std::string& key, const std::string& path, const std::map<std::string, std::string>& query) {
    dashboard::Response r = api.get(path, query);
    if (r.status == 404) throw NotFoundError("study '" + study_name + "' disappeared while writing its report");
    if (r.status != 200) {
      const json body = json::parse(r.body, nullptr, false);
      const bool has_message = body.is_object() && body.contains("error") && body["error"].is_string();
      throw StorageError("report of study '" + study_name + "': " + (has_message ? body["error"].get<std::string>() : r.body));
    }
    responses[key] = json::parse(r.body);
  };
  bake(base, base, {});
  {
    dashboard::Response r = api.get_studies_only(id);
    responses["/api/studies"] = json::parse(r.body);
  }
  const std::size_t m = storage.get_study_directions(id).size();
  for (std::size_t k = 0; k < m; ++k) {
    const std::string ks = std::to_string(k);
    const bool first = k == 0;
    bake(base + "/history" + (first ? "" : "?objective=" + ks), base + "/history",
         first ? std::map<std::string, std::string>{} : std::map<std::string, std::string>{{"objective", ks}});
    bake(base + "/params" + (first ? "" : "?objective=" + ks), base + "/params",
         first ? std::map<std::string, std::string>{} : std::map<std::string, std::string>{{"objective", ks}});
    std::map<std::string, std::string> iq{{"interactions", "1"}};
    if (!first) iq["objective"] = ks;
    bake(base + "/importance?" + (first ? "" : "objective=" + ks + "&") + "interactions=1", base + "/importance", iq);
  }
  bake(base + "/intermediate", base + "/intermediate", {});
  if (m > 1) bake(base + "/pareto", base + "/pareto", {});
  bake(base + "/timeline", base + "/timeline", {});
  // The table's page: every trial of a study up to 1,000 trials; beyond, the 1,000 best by the
  // first objective (the app sorts and filters it in the browser, and shows the study's total).
  const std::string table_key = base + "/trials?limit=1000";
  const int n_trials = responses[base]["n_trials"].get<int>();
  bake(table_key, base + "/trials",
       n_trials <= 1000 ? std::map<std::string, std::string>{{"limit", "1000"}}
                        : std::map<std::string, std::string>{{"limit", "1000"}, {"sort", "value"}});
  // Trial pages: the table's trials, the best trial and the Pareto front (linked from the page).
  std::set<int> numbers;
  for (const auto& row : responses[table_key]["trials"]) numbers.insert(row["number"].get<int>());
  if (const json& best = responses[base]["best_trial"]; best.is_object()) numbers.insert(best["number"].get<int>());
  if (responses.contains(base + "/pareto"))
    for (const auto& p : responses[base + "/pareto"]["front"]) numbers.insert(p["number"].get<int>());
  for (int number : numbers) {
    const std::string n = std::to_string(number);
    bake(base + "/trials/" + n, base + "/trials/" + n, {});
  }
  const json data = {{"mode", "report"}, {"study_id", id}, {"responses", responses}};
  const std::string data_script = "<script type=\"application/json\" id=\"autoglm-data\">" +
                                  script_safe_json(dashboard::Api::dump(data)) + "</script>";

  // index.html, line by line: the three asset tags become the inlined files.
  const std::string_view index = asset("index.html");
  std::string html;
  html.reserve(index.size() + 8 * 1024 * 1024);
  bool css = false, plotly = false, app = false;
  std::size_t i = 0;
  while (i < index.size()) {
    std::size_t end = index.find('\n', i);
    const std::size_t next = end == std::string_view::npos ? index.size() : end + 1;
    const std::string_view line = index.substr(i, next - i);
    if (!css && line.find("href=\"assets/app.css\"") != std::string_view::npos) {
      html += inline_style() + "\n";
      css = true;
    } else if (!plotly && line.find("src=\"assets/plotly.min.js\"") != std::string_view::npos) {
      html += inline_script("plotly.min.js", false) + "\n";
      plotly = true;
    } else if (!app && line.find("src=\"assets/app.js\"") != std::string_view::npos) {
      html += inline_script("app.js", line.find("type=\"module\"") != std::string_view::npos) + "\n";
      app = true;
    } else {
      html.append(line);
    }
    i = next;
  }
  // The data marker; an index.html without it (or without the tags) still gets everything, the
  // data first so that the app finds it when it runs.
  const std::string marker = "<!--AUTOGLM_DATA-->";
  if (auto pos = html.find(marker); pos != std::string::npos)
    html.replace(pos, marker.size(), data_script);
  else
    insert_before(html, "</body>", data_script);
  if (!css) insert_before(html, "</head>", inline_style());
  if (!plotly) insert_before(html, "</body>", inline_script("plotly.min.js", false));
  if (!app) insert_before(html, "</body>", inline_script("app.js", false));
  return html;
}

}  // namespace autoglm
