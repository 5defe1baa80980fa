#include "http_date.hpp"

namespace hello {
namespace {

void put_two_digits(char* out, int value) {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
}

}  // namespace

void format_http_date(std::time_t seconds, std::array<char, http_date_length>& out) {
  static constexpr std::string_view days = "SunMonTueWedThuFriSat";
  static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char* p = out.data();
  days.copy(p, 3, static_cast<std::size_t>(utc.tm_wday) * 3);
  p[3] = ',';
  p[4] = ' ';
  put_two_digits(p + 5, utc.tm_mday);
  p[7] = ' ';
  months.copy(p + 8, 3, static_cast<std::size_t>(utc.tm_mon) * 3);
  p[11] = ' ';
  const int year = utc.tm_year + 1900;
  put_two_digits(p + 12, year / 100);
  put_two_digits(p + 14, year % 100);
  p[16] = ' ';
  put_two_digits(p + 17, utc.tm_hour);
  p[19] = ':';
  put_two_digits(p + 20, utc.tm_min);
  p[22] = ':';
  put_two_digits(p + 23, utc.tm_sec);
  std::string_view{" GMT"}.copy(p + 25, 4);
}

}  // namespace hello
