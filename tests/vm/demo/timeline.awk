# timeline.awk - read restackd's JSON-lines event log (and the demo's own
# marks file, same format) and print the demo's timeline, the issue 6 §8
# measurements, or data for plotting.  POSIX awk (busybox awk in the guest,
# mawk/gawk on the host); the guest has no jq.
#
#   awk -f timeline.awk -v mode=text    [-v vol=vol0] events.jsonl [marks.jsonl]
#   awk -f timeline.awk -v mode=summary [-v vol=vol0] events.jsonl [marks.jsonl]
#   awk -f timeline.awk -v mode=windows [-v vol=vol0] events.jsonl [marks.jsonl]
#   awk -f timeline.awk -v mode=marks   [-v vol=vol0] events.jsonl [marks.jsonl]
#
# Records are sorted by "ts" (unix seconds); times are printed in seconds
# from t0: the daemon's first "start" event, else the first record.
# Records of other volumes than `vol` are ignored (records without a
# "volume" field, like the demo's marks, always count).  Lines that are not
# JSON objects with a numeric "ts" are counted and reported on stderr.
#
# summary prints key=value lines (value "none" when it did not happen):
#   first_violation   first window with sla_met=false            (t, s)
#   violation_event   the daemon's sla_violation event           (t, s)
#   profile_start     state -> profiling                         (t, s)
#   decide            the first decide event                     (t, s)
#   attach            the first attach event                     (t, s)
#   first_met_window  first window with sla_met=true while attached after attach
#   sla_met_event     the daemon's first sla_met event after attach
#   fault             the first injected fault (demo mark "inject_fault"),
#                     else the daemon's first "fault" event
#   fault_seen        the daemon's first "fault" event
#   detach            the first detach event after the fault
#   detached          the first state change to "detached" after the fault
#   t_violation_to_met   sla_met_event - first_violation (issue 6 §8, <= 60 s)
#   t_fault_to_detached  detached - fault                (issue 6 §8, <= 10 s)
#   attaches, detaches, decides, windows, errors: counts
#
# windows prints, one line per window event of `vol`:
#   t iops read_p99_ms write_p99_ms sla_met(1/0) state
# marks prints "t label" for attach, detach, fault and SLA events.

# jget(line, key): the value of the first "key": in line, unquoted; "" if absent.
# Strings are unescaped for \" and \\ only (enough for paths and reasons).
function jget(s, k,    i, r, c, out, j, n) {
	if (!match(s, "\"" k "\"[ \t]*:[ \t]*"))
		return ""
	r = substr(s, RSTART + RLENGTH)
	if (substr(r, 1, 1) == "\"") {
		out = ""
		n = length(r)
		for (j = 2; j <= n; j++) {
			c = substr(r, j, 1)
			if (c == "\\") {
				j++
				c = substr(r, j, 1)
				if (c == "n")
					c = " "
			} else if (c == "\"")
				break
			out = out c
		}
		return out
	}
	if (substr(r, 1, 1) == "{") {
		# a nested object: return it whole (no nested braces inside)
		match(r, /^\{[^}]*\}/)
		return substr(r, 1, RLENGTH)
	}
	if (substr(r, 1, 1) == "[") {
		match(r, /^\[[^]]*\]/)
		return substr(r, 1, RLENGTH)
	}
	match(r, /^[^], \t}]*/)
	return substr(r, 1, RLENGTH)
}

# "iops N, read p99 X ms, write p99 Y ms" of an event or object
function figures(o,    x, out) {
	out = ""
	x = num(jget(o, "iops"))
	if (x != "") out = sprintf("iops %.0f", x)
	x = num(jget(o, "read_p99_us"))
	if (x != "") out = out (out == "" ? "" : ", ") "read p99 " fmt_ms(x)
	x = num(jget(o, "write_p99_us"))
	if (x != "") out = out (out == "" ? "" : ", ") "write p99 " fmt_ms(x)
	return out == "" ? "(no I/O)" : out
}

function num(x) { return (x == "" || x == "null") ? "" : x + 0 }
function fmt_t(t) { return (t == "") ? "none" : sprintf("%.1f", t - t0) }
function fmt_ms(us) { return (us == "") ? "?" : sprintf("%.2f ms", us / 1000) }

{
	line = $0
	if (line !~ /^[ \t]*\{/) { if (line ~ /[^ \t]/) bad++; next }
	ts = jget(line, "ts")
	if (ts !~ /^[0-9]+(\.[0-9]+)?$/) { bad++; next }
	v = jget(line, "volume")
	if (vol != "" && v != "" && v != vol) next
	n++
	T[n] = ts + 0
	L[n] = line
}

END {
	if (bad)
		printf("timeline.awk: %d line(s) skipped (not a JSON object with a numeric \"ts\")\n", bad) > "/dev/stderr"
	# insertion sort by ts, stable (the daemon writes in order already)
	for (i = 2; i <= n; i++) {
		t = T[i]; l = L[i]
		for (j = i - 1; j >= 1 && T[j] > t; j--) { T[j + 1] = T[j]; L[j + 1] = L[j] }
		T[j + 1] = t; L[j + 1] = l
	}
	t0 = ""
	for (i = 1; i <= n; i++)
		if (jget(L[i], "event") == "start") { t0 = T[i]; break }
	if (t0 == "" && n)
		t0 = T[1]

	state = "detached"
	first_violation = violation_event = profile_start = decide = attach = ""
	first_met_window = sla_met_event = fault = fault_seen = detach = detached = ""
	attaches = detaches = decides = windows = errors = 0
	for (i = 1; i <= n; i++) {
		l = L[i]; t = T[i]; ev = jget(l, "event")
		if (ev == "state") {
			state = jget(l, "to")
			if (state == "profiling" && profile_start == "")
				profile_start = t
			if (state == "detached" && fault != "" && detached == "" && t >= fault)
				detached = t
			what = "state " jget(l, "from") " -> " state
			r = jget(l, "reason")
			if (r != "") what = what " (" r ")"
		} else if (ev == "adopt") {
			state = jget(l, "state")
			what = "adopted in state " state
		} else if (ev == "window") {
			windows++
			met = jget(l, "sla_met")
			st = jget(l, "state"); if (st == "") st = state
			if (met == "false" && first_violation == "") {
				first_violation = t
				if (mode == "text")
					printf("  %7.1f  first window missing the SLA: %s\n", t - t0, figures(l))
			}
			if (met == "true" && attach != "" && first_met_window == "" && st == "attached") {
				first_met_window = t
				if (mode == "text")
					printf("  %7.1f  first window meeting the SLA while attached: %s\n", t - t0, figures(l))
			}
			if (mode == "windows") {
				rp = num(jget(l, "read_p99_us")); wp = num(jget(l, "write_p99_us"))
				printf("%.3f %s %s %s %d %s\n", t - t0, num(jget(l, "iops")),
				       rp == "" ? "NaN" : rp / 1000, wp == "" ? "NaN" : wp / 1000,
				       met == "true", st)
			}
			continue	# too many for the text timeline
		} else if (ev == "sla_violation") {
			if (violation_event == "") violation_event = t
			what = "SLA violation declared by the daemon: " figures(l)
		} else if (ev == "sla_met") {
			if (attach != "" && sla_met_event == "") sla_met_event = t
			what = "SLA met declared by the daemon: " figures(l)
		} else if (ev == "decide") {
			decides++
			if (decide == "") decide = t
			p = jget(l, "predicted")
			stack = jget(l, "stack")
			what = "decision: " (stack == "" || stack == "null" ? "no stack" : stack)
			if (p != "" && p != "null" && num(jget(p, "iops")) != "")
				what = what "; predicted " figures(p)
			r = jget(l, "reason")
			if (r != "") what = what " (" r ")"
			m = jget(l, "mrc")
			if (m != "" && m != "null") what = what "; MRC " m
		} else if (ev == "attach") {
			attaches++
			if (attach == "") attach = t
			what = "attached: " jget(l, "stack")
		} else if (ev == "detach") {
			detaches++
			if (fault != "" && detach == "" && t >= fault) detach = t
			what = "detached (" jget(l, "reason") "; dirty blocks synced: " jget(l, "dirty_synced") ")"
		} else if (ev == "fault") {
			if (fault_seen == "") fault_seen = t
			if (fault == "") fault = t
			what = "fast-device fault seen by the daemon: " jget(l, "errors") " error(s) (" jget(l, "reason") ")"
		} else if (ev == "inject_fault") {
			# the demo's own mark: it switched dm-flakey to failing
			if (fault == "" || t < fault) fault = t
			what = "FAULT INJECTED: " jget(l, "what")
		} else if (ev == "mark") {
			what = jget(l, "what")
		} else if (ev == "error") {
			errors++
			what = "ERROR: " jget(l, "reason")
		} else if (ev == "start") {
			what = "daemon started"
		} else {
			what = ev
		}
		if (mode == "text")
			printf("  %7.1f  %s\n", t - t0, what)
		if (mode == "marks" && (ev == "attach" || ev == "detach" || ev == "inject_fault" ||
		    ev == "sla_violation" || ev == "sla_met" || ev == "decide"))
			printf("%.3f %s\n", t - t0, ev)
	}
	if (mode == "summary") {
		printf("first_violation=%s\nviolation_event=%s\nprofile_start=%s\ndecide=%s\n",
		       fmt_t(first_violation), fmt_t(violation_event), fmt_t(profile_start), fmt_t(decide))
		printf("attach=%s\nfirst_met_window=%s\nsla_met_event=%s\n",
		       fmt_t(attach), fmt_t(first_met_window), fmt_t(sla_met_event))
		printf("fault=%s\nfault_seen=%s\ndetach=%s\ndetached=%s\n",
		       fmt_t(fault), fmt_t(fault_seen), fmt_t(detach), fmt_t(detached))
		d1 = d2 = d3 = "none"
		if (first_violation != "" && sla_met_event != "")
			d1 = sprintf("%.1f", sla_met_event - first_violation)
		if (first_violation != "" && first_met_window != "")
			d2 = sprintf("%.1f", first_met_window - first_violation)
		if (fault != "" && detached != "")
			d3 = sprintf("%.1f", detached - fault)
		printf("t_violation_to_met=%s\nt_violation_to_met_window=%s\nt_fault_to_detached=%s\n", d1, d2, d3)
		printf("attaches=%d\ndetaches=%d\ndecides=%d\nwindows=%d\nerrors=%d\n",
		       attaches, detaches, decides, windows, errors)
	}
}
