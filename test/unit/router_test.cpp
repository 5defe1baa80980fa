#include "router.hpp"

#include <gtest/gtest.h>

namespace hello {
namespace {

TEST(Router, RoutesEveryEndpoint) {
  EXPECT_EQ(route("/"), Endpoint::root);
  EXPECT_EQ(route("/healthz"), Endpoint::healthz);
  EXPECT_EQ(route("/readyz"), Endpoint::readyz);
  EXPECT_EQ(route("/metrics"), Endpoint::metrics);
  EXPECT_EQ(route("/version"), Endpoint::version);
}

TEST(Router, MatchesPathsExactly) {
  for (const char* target :
       {"/healthz/", "//", "/Healthz", "/metrics.json", "/%2F", "", "*", "example.com:443", "/readyz/x"}) {
    EXPECT_EQ(route(target), Endpoint::not_found) << target;
  }
}

TEST(Router, IgnoresTheQuery) {
  EXPECT_EQ(route("/?a=b"), Endpoint::root);
  EXPECT_EQ(route("/metrics?name[]=up"), Endpoint::metrics);
}

TEST(Router, AcceptsAbsoluteForm) {
  EXPECT_EQ(target_path("http://example.com/healthz?x"), "/healthz");
  EXPECT_EQ(target_path("HTTPS://example.com:8443/readyz"), "/readyz");
  EXPECT_EQ(target_path("http://example.com"), "/");
  EXPECT_EQ(target_path("http://example.com?x=1"), "/");
  EXPECT_EQ(route("http://a/version"), Endpoint::version);
  EXPECT_EQ(target_path("ftp://example.com/"), "");
}

}  // namespace
}  // namespace hello
