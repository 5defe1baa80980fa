# Turns bench/compare-servers's raw rows into the table of medians, the ratios
# hello/nginx and hello/floor, the target checks and results.json.
#
# Input files, in order: meta.tsv (key, value), startup.tsv (ready_us,
# rss_kb per start), fairness.tsv (header, then one row per flood run; may
# be empty), runs.tsv (header, then one row per measurement).
# Variables: json (output path), micro_file (name recorded in the JSON).
# Exit status: 0, or 3 when a target is missed.
BEGIN {
  FS = "\t"
  n_scen = split("keepalive close pipeline idle", scen_order, " ")
  n_serv = split("hello nginx floor", serv_order, " ")
  title["keepalive"] = "keep-alive"
  title["close"] = "Connection: close"
  title["pipeline"] = "pipelined x16"
  title["idle"] = "idle conns + 64"
  n_metric = split("rps p50_us p99_us cpu_us_per_req ctxsw_per_req rss_idle_kb rss_peak_kb rss_end_kb", metrics, " ")
}

FILENAME == ARGV[1] { meta[$1] = $2; meta_keys[++n_meta] = $1; next }
FILENAME == ARGV[2] { ready[++n_start] = $1; start_rss[n_start] = $2; next }
FILENAME == ARGV[3] {
  if (FNR > 1) {
    flood_rows++
    k = ++flood_runs[$2]
    flood_worst[$2, k] = $4
    flood_p99[$2, k] = $5
    flood_probes[$2] += $3
    flood_unanswered[$2] += $7
    flood_rss[$2, k] = $8
  }
  next
}
FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
  key = $col["scenario"] SUBSEP $col["server"]
  k = ++count[key]
  for (m = 1; m <= n_metric; m++) {
    values[key, metrics[m], k] = $col[metrics[m]]
    by_round[key, metrics[m], $col["round"]] = $col[metrics[m]]
  }
  if (!($col["round"] in round_seen)) {
    round_seen[$col["round"]] = 1
    round_list[++n_rounds] = $col["round"]
  }
  errors[key] += $col["errors"]
  status_errors[key] += $col["status_errors"]
  if ($col["idle_open"] != "NA" && (!(key in idle_open) || $col["idle_open"] + 0 < idle_open[key])) {
    idle_open[key] = $col["idle_open"] + 0
  }
  rows[++n_rows] = $0
}

function sort_numbers(a, n,    i, j, t) {
  for (i = 2; i <= n; i++) {
    t = a[i]
    for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
    a[j + 1] = t
  }
}

# Median of values[key, metric, 1..n] that are numbers ("NA" where wrk
# could not tell); also sets lo and hi. "NA" when there is none.
function median(key, metric,    n, i, a, v) {
  n = 0
  for (i = 1; i <= count[key]; i++) {
    v = values[key, metric, i]
    if (v != "NA") a[++n] = v + 0
  }
  if (n == 0) {
    lo = hi = "NA"
    return "NA"
  }
  return list_median(a, n)
}

# Measurements of one round ran back to back, so drift between rounds cancels
# in their ratio: the median over rounds of key_a's figure over key_b's
# (keys are scenario SUBSEP server).
function round_ratio(key_a, key_b, metric,    i, r, a, b, n, list) {
  n = 0
  for (i = 1; i <= n_rounds; i++) {
    r = round_list[i]
    if (!((key_a, metric, r) in by_round) || !((key_b, metric, r) in by_round)) continue
    a = by_round[key_a, metric, r]
    b = by_round[key_b, metric, r]
    if (a == "NA" || b == "NA" || b + 0 <= 0) continue
    list[++n] = a / b
  }
  return n == 0 ? "NA" : list_median(list, n)
}

# hello's figure over another server's in the same scenario.
function paired_ratio(scenario, other, metric) {
  return round_ratio(scenario SUBSEP "hello", scenario SUBSEP other, metric)
}

function list_median(list, n,    i, a) {
  for (i = 1; i <= n; i++) a[i] = list[i] + 0
  sort_numbers(a, n)
  lo = a[1]
  hi = a[n]
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

function ms(us) { return us == "NA" ? "NA" : us / 1000 }
# hello's p99 with the idle connections over its p99 without them.
function idle_p99_ratio() {
  return round_ratio("idle" SUBSEP "hello", "keepalive" SUBSEP "hello", "p99_us")
}

function have(scenario, server) { return ((scenario SUBSEP server) in count) }
function med(scenario, server, metric) { return med_value[scenario SUBSEP server, metric] }

function json_string(s) {
  gsub(/\\/, "\\\\", s)
  gsub(/"/, "\\\"", s)
  gsub(/\t/, " ", s)
  return "\"" s "\""
}

function ratio(a, b) { return (a == "NA" || b == "NA" || b + 0 <= 0) ? "NA" : a / b }
function fmt(x, spec) { return x == "NA" ? "-" : sprintf(spec, x) }
function json_number(x, spec) { return x == "NA" ? "null" : sprintf(spec, x) }

function thousands(x,    s, out) {
  s = sprintf("%.0f", x)
  out = ""
  while (length(s) > 3) {
    out = "," substr(s, length(s) - 2) out
    s = substr(s, 1, length(s) - 3)
  }
  return s out
}

# A target: value against limit ("<=" or ">="); printed and kept for JSON.
function target(name, value, relation, limit, unit,    met) {
  if (value == "NA") {
    printf "  %-4s %-52s %9s %s %.3f%s\n", "n/a", name, "-", relation, limit, unit
    return
  }
  met = relation == "<=" ? value <= limit : value >= limit
  n_target++
  target_name[n_target] = name
  target_value[n_target] = value
  target_relation[n_target] = relation
  target_limit[n_target] = limit
  target_met[n_target] = met
  if (!met) missed++
  printf "  %-4s %-52s %8.3f%s %s %.3f%s\n", met ? "met" : "MISS", name, value, unit, relation, limit, unit
}

END {
  for (s = 1; s <= n_scen; s++) {
    for (v = 1; v <= n_serv; v++) {
      key = scen_order[s] SUBSEP serv_order[v]
      if (!(key in count)) continue
      for (m = 1; m <= n_metric; m++) {
        med_value[key, metrics[m]] = median(key, metrics[m])
        lo_value[key, metrics[m]] = lo
        hi_value[key, metrics[m]] = hi
      }
    }
  }

  printf "\nhello-server vs nginx vs floor: medians of %s round(s) of %s s, wrk -t1 -c%s on CPU %s, servers on CPU %s (%s)\n\n",
    meta["rounds"], meta["duration_s"], meta["connections"], meta["load_cpu"], meta["server_cpu"], meta["cpu_model"]
  printf "%-18s %-6s %9s %8s %8s %22s %9s %9s %9s %7s\n", "scenario", "server", "req/s", "p50 ms", "p99 ms",
    "CPU us/req (min-max)", "ctxsw/req", "RSS idle", "RSS peak", "errors"
  for (s = 1; s <= n_scen; s++) {
    sc = scen_order[s]
    shown = 0
    for (v = 1; v <= n_serv; v++) {
      sv = serv_order[v]
      if (!have(sc, sv)) continue
      key = sc SUBSEP sv
      label = shown++ ? "" : (sc == "idle" ? meta["idle_connections"] " idle + " meta["connections"] : title[sc])
      printf "%-18s %-6s %9s %8s %8s %8.2f (%5.2f-%5.2f) %9.3f %7.1f MB %6.1f MB %7d\n", label, sv,
        thousands(med(sc, sv, "rps")), fmt(ms(med(sc, sv, "p50_us")), "%.2f"), fmt(ms(med(sc, sv, "p99_us")), "%.2f"),
        med(sc, sv, "cpu_us_per_req"), lo_value[key, "cpu_us_per_req"], hi_value[key, "cpu_us_per_req"],
        med(sc, sv, "ctxsw_per_req"), med(sc, sv, "rss_idle_kb") / 1024, med(sc, sv, "rss_peak_kb") / 1024,
        errors[key] + status_errors[key]
    }
  }

  printf "\nratios: median over rounds of each round's ratio (the servers of a round run back to back)\n"
  printf "%-25s %-35s  %-35s\n", "", "hello/nginx", "hello/floor"
  printf "%-25s %11s %11s %11s  %11s %11s %11s\n", "", "CPU/req", "req/s", "p99", "CPU/req", "req/s", "p99"
  for (s = 1; s <= n_scen; s++) {
    sc = scen_order[s]
    if (!have(sc, "hello")) continue
    line = sprintf("%-25s", title[sc])
    for (o = 2; o <= 3; o++) {
      other = serv_order[o]
      if (have(sc, other)) {
        r_cpu[sc, other] = paired_ratio(sc, other, "cpu_us_per_req")
        r_rps[sc, other] = paired_ratio(sc, other, "rps")
        r_p99[sc, other] = paired_ratio(sc, other, "p99_us")
        m_cpu[sc, other] = ratio(med(sc, "hello", "cpu_us_per_req"), med(sc, other, "cpu_us_per_req"))
        m_rps[sc, other] = ratio(med(sc, "hello", "rps"), med(sc, other, "rps"))
        m_p99[sc, other] = ratio(med(sc, "hello", "p99_us"), med(sc, other, "p99_us"))
        line = line sprintf(" %11s %11s %11s ", fmt(r_cpu[sc, other], "%.3f"), fmt(r_rps[sc, other], "%.3f"),
          fmt(r_p99[sc, other], "%.3f"))
      } else {
        line = line sprintf(" %11s %11s %11s ", "-", "-", "-")
      }
    }
    print line
  }

  if (n_start > 0) {
    startup_ms = list_median(ready, n_start) / 1000
    startup_lo = lo / 1000
    startup_hi = hi / 1000
    startup_rss = list_median(start_rss, n_start)
    printf "\nhello-server startup (exec to first 200 from /readyz, %d starts): median %.2f ms (%.2f-%.2f); idle RSS %.2f MB\n",
      n_start, startup_ms, startup_lo, startup_hi, startup_rss / 1024
  }

  n_flood_modes = split("none metrics pipeline", flood_modes, " ")
  flood_title["none"] = "no flood (the machine's own noise)"
  flood_title["metrics"] = meta["flood_connections"] " conns pipelining /metrics"
  flood_title["pipeline"] = "1 conn pipelining / flat out"
  if (flood_rows > 0) {
    printf "\nhostile clients (bench/flood, hello-server --threads 1): GET /healthz on a fresh connection every 10 ms during the flood\n"
    printf "%-36s %6s %26s %12s %8s %11s %22s\n", "flood", "runs", "worst ms: median (min-max)", "p99 ms (med)", "probes",
      "unanswered", "peak RSS MB: med (max)"
    for (fi = 1; fi <= n_flood_modes; fi++) {
      fm = flood_modes[fi]
      if (!(fm in flood_runs)) continue
      n = flood_runs[fm]
      for (i = 1; i <= n; i++) { wl[i] = flood_worst[fm, i]; pl[i] = flood_p99[fm, i]; rl[i] = flood_rss[fm, i] }
      flood_worst_med[fm] = list_median(wl, n)
      worst_lo = lo; worst_hi = hi
      flood_p99_med[fm] = list_median(pl, n)
      flood_rss_med[fm] = list_median(rl, n)
      flood_rss_max[fm] = hi
      printf "%-36s %6d %10.2f (%6.2f-%7.2f) %12.2f %8d %11d %14.1f (%5.1f)\n", flood_title[fm], n, flood_worst_med[fm],
        worst_lo, worst_hi, flood_p99_med[fm], flood_probes[fm], flood_unanswered[fm], flood_rss_med[fm] / 1024,
        flood_rss_max[fm] / 1024
    }
  }

  printf "\ntargets\n"
  if (have("keepalive", "hello") && have("keepalive", "floor"))
    target("keep-alive: CPU/request vs floor", r_cpu["keepalive", "floor"], "<=", 1.05, "x")
  if (have("keepalive", "hello") && have("keepalive", "nginx")) {
    target("keep-alive: CPU/request vs nginx", r_cpu["keepalive", "nginx"], "<=", 0.95, "x")
    target("keep-alive: req/s vs nginx", r_rps["keepalive", "nginx"], ">=", 1.0, "x")
  }
  if (have("close", "hello") && have("close", "nginx"))
    target("Connection: close: CPU/request vs nginx", r_cpu["close", "nginx"], "<=", 0.9, "x")
  if (have("pipeline", "hello") && have("pipeline", "nginx"))
    target("pipelined: req/s vs nginx", r_rps["pipeline", "nginx"], ">=", 1.5, "x")
  if (have("idle", "hello")) {
    target("idle connections: peak RSS (MB)", med("idle", "hello", "rss_peak_kb") / 1024, "<=", 30, "")
    if (have("keepalive", "hello"))
      target("idle connections: p99 vs keep-alive without them", idle_p99_ratio(), "<=", 1.2, "x")
  }
  if (n_start > 0) {
    target("startup: exec to ready (ms)", startup_ms, "<=", 10, "")
    target("startup: idle RSS (MB)", startup_rss / 1024, "<=", 2, "")
  }
  if ("metrics" in flood_runs) {
    target("metrics flood: worst /healthz (ms, median of runs)", flood_worst_med["metrics"], "<=", 50, "")
    target("metrics flood: peak RSS (MB, median of runs)", flood_rss_med["metrics"] / 1024, "<=", 32, "")
  }
  if ("pipeline" in flood_runs)
    target("pipeline flood: worst /healthz (ms, median of runs)", flood_worst_med["pipeline"], "<=", 50, "")
  if (n_target == 0) print "  (none evaluated: hello-server and its comparison were not both measured)"

  # --- JSON -----------------------------------------------------------------
  printf "{\n  \"meta\": {" > json
  for (i = 1; i <= n_meta; i++) {
    k = meta_keys[i]
    printf "%s\n    %s: %s", (i > 1 ? "," : ""), json_string(k), (meta[k] ~ /^[0-9]+$/ ? meta[k] : json_string(meta[k])) > json
  }
  printf "\n  },\n  \"startup\": " > json
  if (n_start > 0) {
    printf "{\"samples\": %d, \"ready_ms_median\": %.3f, \"ready_ms_min\": %.3f, \"ready_ms_max\": %.3f, \"rss_idle_kb_median\": %d}",
      n_start, startup_ms, startup_lo, startup_hi, startup_rss > json
  } else {
    printf "null" > json
  }
  printf ",\n  \"hostile_clients\": {" > json
  first_f = 1
  for (fi = 1; fi <= n_flood_modes; fi++) {
    fm = flood_modes[fi]
    if (!(fm in flood_runs)) continue
    printf "%s\n    %s: {\"runs\": %d, \"worst_ms_median\": %.3f, \"p99_ms_median\": %.3f, \"probes\": %d, \"unanswered\": %d, \"peak_rss_kb_median\": %d, \"peak_rss_kb_max\": %d, \"worst_ms\": [",
      (first_f ? "" : ","), json_string(fm), flood_runs[fm], flood_worst_med[fm], flood_p99_med[fm], flood_probes[fm],
      flood_unanswered[fm], flood_rss_med[fm], flood_rss_max[fm] > json
    for (i = 1; i <= flood_runs[fm]; i++) printf "%s%.3f", (i > 1 ? ", " : ""), flood_worst[fm, i] > json
    printf "]}" > json
    first_f = 0
  }
  printf "%s},\n  \"medians\": {", (first_f ? "" : "\n  ") > json
  first_s = 1
  for (s = 1; s <= n_scen; s++) {
    sc = scen_order[s]
    first_v = 1
    for (v = 1; v <= n_serv; v++) {
      sv = serv_order[v]
      if (!have(sc, sv)) continue
      key = sc SUBSEP sv
      if (first_v) {
        printf "%s\n    %s: {", (first_s ? "" : ","), json_string(sc) > json
        first_s = 0
      }
      printf "%s\n      %s: {\"rounds\": %d", (first_v ? "" : ","), json_string(sv), count[key] > json
      first_v = 0
      for (m = 1; m <= n_metric; m++) {
        printf ", \"%s\": %s", metrics[m], json_number(med_value[key, metrics[m]], "%.4f") > json
      }
      printf ", \"cpu_us_per_req_min\": %.4f, \"cpu_us_per_req_max\": %.4f", lo_value[key, "cpu_us_per_req"], hi_value[key, "cpu_us_per_req"] > json
      printf ", \"errors\": %d, \"status_errors\": %d", errors[key], status_errors[key] > json
      if (key in idle_open) printf ", \"idle_open_min\": %d", idle_open[key] > json
      printf "}" > json
    }
    if (!first_v) printf "\n    }" > json
  }
  printf "\n  },\n  \"ratios\": {" > json
  first_s = 1
  for (s = 1; s <= n_scen; s++) {
    sc = scen_order[s]
    if (!have(sc, "hello")) continue
    printf "%s\n    %s: {", (first_s ? "" : ","), json_string(sc) > json
    first_s = 0
    first_v = 1
    for (o = 2; o <= 3; o++) {
      other = serv_order[o]
      if (!have(sc, other)) continue
      printf "%s\"hello/%s\": {\"cpu_us_per_req\": %s, \"rps\": %s, \"p99\": %s, \"of_medians\": {\"cpu_us_per_req\": %s, \"rps\": %s, \"p99\": %s}}",
        (first_v ? "" : ", "), other, json_number(r_cpu[sc, other], "%.4f"), json_number(r_rps[sc, other], "%.4f"),
        json_number(r_p99[sc, other], "%.4f"), json_number(m_cpu[sc, other], "%.4f"), json_number(m_rps[sc, other], "%.4f"),
        json_number(m_p99[sc, other], "%.4f") > json
      first_v = 0
    }
    printf "}" > json
  }
  printf "\n  },\n  \"ratio_method\": \"median over rounds of the per-round ratio; of_medians: ratio of the medians\",\n  \"targets\": [" > json
  for (i = 1; i <= n_target; i++) {
    printf "%s\n    {\"name\": %s, \"value\": %.4f, \"relation\": \"%s\", \"limit\": %s, \"met\": %s}", (i > 1 ? "," : ""),
      json_string(target_name[i]), target_value[i], target_relation[i], target_limit[i], target_met[i] ? "true" : "false" > json
  }
  printf "\n  ],\n  \"runs\": [" > json
  for (i = 1; i <= n_rows; i++) {
    split(rows[i], f, "\t")
    printf "%s\n    {\"round\": %d, \"scenario\": %s, \"server\": %s, \"requests\": %d, \"seconds\": %s, \"rps\": %s, \"p50_us\": %s, \"p99_us\": %s, \"cpu_us_per_req\": %s, \"ctxsw_per_req\": %s, \"rss_idle_kb\": %d, \"rss_peak_kb\": %d, \"rss_end_kb\": %d, \"errors\": %d, \"status_errors\": %d, \"idle_open\": %s}",
      (i > 1 ? "," : ""), f[1], json_string(f[2]), json_string(f[3]), f[4], f[5] + 0, f[6] + 0, json_number(f[7], "%d"), json_number(f[8], "%d"),
      (f[9] == "NA" ? "null" : f[9] + 0), (f[10] == "NA" ? "null" : f[10] + 0), f[11], f[12], f[13], f[14], f[15],
      (f[16] == "NA" ? "null" : f[16] + 0) > json
  }
  printf "\n  ],\n  \"micro_benchmarks\": %s\n}\n", json_string(micro_file) > json
  close(json)
  exit missed ? 3 : 0
}
