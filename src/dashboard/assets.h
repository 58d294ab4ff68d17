// The dashboard's static files, embedded in the binary at build time (CMakeLists.txt generates
// the definitions from src/dashboard/assets.cc.in): web/index.html, web/app.js, web/app.css and
// plotly.min.js from the pinned npm package. Immutable; safe from any thread.
#pragma once

#include <string_view>
#include <vector>

namespace autoglm::dashboard {

struct EmbeddedAsset {
  std::string_view name;          ///< "index.html", "app.js", "app.css", "plotly.min.js"
  std::string_view content_type;  ///< "text/html", "text/javascript", "text/css"
  std::string_view data;          ///< the file's bytes
};

/// Every embedded file, in a fixed order.
const std::vector<EmbeddedAsset>& embedded_assets();

/// The asset called `name` (exact match), or nullptr.
inline const EmbeddedAsset* find_asset(std::string_view name) {
  for (const auto& a : embedded_assets())
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace autoglm::dashboard
