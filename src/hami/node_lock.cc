#include "hami/node_lock.h"

#include <ctime>

#include "hami/fields.h"

namespace vslice::hami {
namespace {

bool Digits(std::string_view text, std::size_t at, std::size_t n, int* out) {
  if (at + n > text.size()) return false;
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseRfc3339(std::string_view t, std::int64_t* unix_seconds) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  int year, mon, day, hour, min, sec;
  if (!Digits(t, 0, 4, &year) || t.size() < 20 || t[4] != '-' || !Digits(t, 5, 2, &mon) || t[7] != '-' ||
      !Digits(t, 8, 2, &day) || (t[10] != 'T' && t[10] != 't') || !Digits(t, 11, 2, &hour) ||
      t[13] != ':' || !Digits(t, 14, 2, &min) || t[16] != ':' || !Digits(t, 17, 2, &sec)) {
    return false;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return false;
  std::size_t i = 19;
  if (t[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == start) return false;
  }
  int offset = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z') && i + 1 == t.size()) {
    offset = 0;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
    int oh, om;
    if (!Digits(t, i + 1, 2, &oh) || !Digits(t, i + 4, 2, &om) || oh > 23 || om > 59) return false;
    offset = (oh * 60 + om) * 60 * (t[i] == '-' ? -1 : 1);
  } else {
    return false;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  *unix_seconds = static_cast<std::int64_t>(timegm(&tm)) - offset;
  return true;
}

std::string FormatRfc3339(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string EncodeNodeLock(const NodeLock& lock) {
  return FormatRfc3339(lock.unix_seconds) + ',' + lock.pod_namespace + ',' + lock.pod_name;
}

bool DecodeNodeLock(std::string_view text, NodeLock* lock, std::string* error) {
  std::vector<std::string_view> f = SplitFields(text, ',');
  const std::string quoted = QuoteField(text);
  if ((f.size() != 1 && f.size() != 3) || (f.size() == 3 && (f[1].empty() || f[2].empty()))) {
    *error = "node lock " + quoted + " is not TIME,NAMESPACE,POD";
    return false;
  }
  if (!ParseRfc3339(f[0], &lock->unix_seconds)) {
    *error = "node lock " + quoted + ": the time is not RFC 3339 (2006-01-02T15:04:05Z07:00)";
    return false;
  }
  lock->time = std::string(f[0]);
  lock->pod_namespace = f.size() == 3 ? std::string(f[1]) : "";
  lock->pod_name = f.size() == 3 ? std::string(f[2]) : "";
  return true;
}

}  // namespace vslice::hami
