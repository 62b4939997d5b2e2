#!/bin/sh
# Runs inside the HIL guest (a chroot of the host's / over 9p, the guest's own
# kernel with vivid and vkms loaded). Prints "HIL ok|FAIL|skip NAME ..." per
# check and one "HIL-SUMMARY PASS|FAIL ..." line. usage: guest.sh REPO BUILD
repo=$1
build=$2
footage=$3
W=/run/hil # a tmpfs: the host's / (and its /tmp) is read-only here
export HOME=$W/home PATH=/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=$W # HOME: GStreamer's registry
mkdir -p "$HOME"
fails=0
oks=0
ok() { echo "HIL ok $*"; oks=$((oks + 1)); }
bad() { echo "HIL FAIL $*"; fails=$((fails + 1)); }
stat() { # stat PYTHON-EXPRESSION-ON-s (the /api/stats JSON)
    curl -sf --max-time 5 http://127.0.0.1:8080/api/stats |
        python3 -c "import json,sys; s=json.load(sys.stdin); p=s['pipeline']; print($1)" 2>/dev/null
}
wait_for() { # wait_for SECONDS PYTHON-CONDITION (wall time: one stat costs seconds under TCG)
    end=$(($(date +%s) + $1))
    while [ "$(date +%s)" -lt "$end" ]; do
        [ "$(stat "$2")" = True ] && return 0
        sleep 1
    done
    return 1
}

devcaps() { # the node's own capabilities (after "Device Caps")
    v4l2-ctl -d "$1" --info 2>/dev/null | sed -n '/Device Caps/,$p'
}
vivid_node() { # vivid_node "Video Capture"|"Video Output"
    for d in /dev/video*; do
        v4l2-ctl -d "$d" --info 2>/dev/null | grep -q "Driver name *: vivid" || continue
        devcaps "$d" | grep -q "^[[:space:]]*$1\$" && { echo "$d"; return; }
    done
}
cam=$(vivid_node "Video Capture")
[ -n "$cam" ] && ok "vivid camera at $cam" || bad "no vivid capture device"
if [ -d /sys/module/vkms ] && [ -e /dev/dri/card0 ]; then ok "vkms display at /dev/dri/card0"; else bad "no vkms device"; fi

cat >$W/detectd.conf <<EOF
[source]
uri = $cam
size = 1920x1080
format = nv12
[model]
package = $repo/assets/packages/nanodet-w8a8.ddpkg
[sink]
output = drm:Virtual-1@1920x1080
[http]
listen = 127.0.0.1:8080
[daemon]
watchdog_stall_s = 30
EOF
"$build/bin/detectd" --config $W/detectd.conf 2>$W/detectd.log &
pid=$!
if wait_for 300 "s['healthy'] and p['frames_output'] >= 5"; then
    ok "frames flow from vivid through detectd to vkms ($(stat "p['frames_output']") frames)"
else
    bad "no frames within 300 s: $(tail -n 5 $W/detectd.log | tr '\n' ' ')"
fi
sleep 5
echo "HIL stats $(stat "{k: p[k] for k in ('frames_captured','frames_processed','frames_output','frames_dropped','frames_skipped','frame_copies','sink_zero_copy','source','sink','buffers','fps','latency_p50_ms')}")"
[ "$(stat "p['source'] == 'v4l2' and p['sink'] == 'drm' and p['width'] == 1920 and p['height'] == 1080")" = True ] &&
    ok "V4L2 source at 1920x1080 NV12, DRM sink" || bad "wrong source/sink/size"
# vkms in Debian's 6.1 kernel scans out RGB formats only: NV12 frames cannot be shown in place,
# so the sink converts each one into an XRGB dumb buffer, and every conversion must be counted
if [ "$(stat "p['sink_zero_copy'] > 0 and p['frame_copies'] == 0")" = True ]; then
    ok "vkms scans out the camera's DMA-BUF: $(stat "p['sink_zero_copy']") frames, 0 copies"
elif [ "$(stat "p['sink_zero_copy'] == 0 and p['frame_copies'] >= p['frames_output'] > 0")" = True ]; then
    ok "display: every frame converted for vkms's RGB-only planes and counted ($(stat "p['frame_copies']") copies)"
    echo "HIL skip zero-copy-display: vkms (Linux 6.1) has no NV12/YUYV plane, so no DMA-BUF scan-out of camera frames"
else
    bad "display copies not accounted: $(stat "(p['sink_zero_copy'], p['frame_copies'], p['frames_output'])")"
fi
[ "$(stat "p['frames_processed'] > 0")" = True ] && ok "frames detected" || bad "no frame detected"

# unplug the camera and bring it back
dev=$(basename "$(readlink -f /sys/class/video4linux/$(basename "$cam")/device)")
before=$(stat "p['frames_output']")
restarts=$(stat "s['pipeline_restarts']")
if echo "$dev" >/sys/bus/platform/drivers/vivid/unbind 2>/dev/null; then
    sleep 4
    [ "$(stat "'source' in p['last_error']")" = True ] && ok "camera loss reported: $(stat "p['last_error']")" ||
        bad "camera loss not reported"
    kill -0 "$pid" 2>/dev/null && ok "detectd survives the unplug" || bad "detectd died on the unplug"
    # the lost camera's buffers come back from the pipeline's threads, then its handle is closed
    # (until then the returning device would get other node numbers)
    held=1
    end=$(($(date +%s) + 120))
    while [ "$(date +%s)" -lt "$end" ]; do
        held=$(for f in /proc/"$pid"/fd/*; do readlink "$f"; done 2>/dev/null | grep -c '^/dev/video' || true)
        [ "$held" = 0 ] && break
        sleep 1
    done
    [ "$held" = 0 ] && ok "detectd released the lost camera (no open handle)" ||
        bad "detectd still holds $held handles of the lost camera"
    echo "$dev" >/sys/bus/platform/drivers/vivid/bind
    echo "HIL camera back: $(vivid_node "Video Capture")"
    # the source reopens the camera itself, or (when the camera stayed away longer than
    # stall_restart_s, as on a loaded machine) the daemon rebuilt the pipeline, whose counters
    # start again from 0
    if wait_for 120 "(p['source_reopens'] >= 1 and p['frames_output'] > $before + 5) or
                     (s['pipeline_restarts'] > $restarts and p['frames_output'] > 5)"; then
        ok "recovered after the camera returned ($(stat "p['source_reopens']") reopen, $(stat "s['pipeline_restarts']") rebuilds)"
    else
        bad "no recovery: $(stat "(p['source_reopens'], p['frames_output'], p['last_error'])")"
    fi
else
    bad "cannot unbind $dev"
fi

kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
[ "$rc" = 0 ] && ok "SIGTERM: clean exit" || bad "exit status $rc on SIGTERM"
sed 's/^/HIL log /' $W/detectd.log | tail -n 8

# real footage through the real camera driver: vtest frames written to vivid's HDMI output,
# looped into its HDMI input (vivid's loop_video control), captured by detectd over V4L2
cam=$(vivid_node "Video Capture")
out=$(vivid_node "Video Output")
idx=$(v4l2-ctl -d "$cam" -i 3 >/dev/null 2>&1 && v4l2-ctl -d "$cam" --list-dv-timings 2>/dev/null |
    awk '/Index:/ {i=$2} /Active width:/ {w=$3} /Active height:/ {h=$3}
         /Frame format: progressive/ { if (w == 1920 && h == 1080 && !f) { print i; f = 1 } }')
if [ -z "$out" ] || [ -z "$idx" ] || [ ! -s "$footage" ]; then
    bad "real footage: no vivid output ($out), no 1080p HDMI timings ($idx) or no footage file"
else
    v4l2-ctl -d "$cam" --set-dv-bt-timings index="$idx" >/dev/null &&
        v4l2-ctl -d "$out" -o 1 >/dev/null && v4l2-ctl -d "$out" --set-dv-bt-timings index="$idx" >/dev/null &&
        v4l2-ctl -d "$out" --set-fmt-video-out=width=1920,height=1080,pixelformat=NV12 >/dev/null &&
        v4l2-ctl -d "$cam" --set-fmt-video=width=1920,height=1080,pixelformat=NV12 >/dev/null &&
        v4l2-ctl -d "$cam" -c loop_video=1 >/dev/null || bad "real footage: vivid loop setup failed"
    v4l2-ctl -d "$out" --stream-out-mmap=4 --stream-from="$footage" --stream-loop >/dev/null 2>&1 &
    feeder=$!
    sed -e 's/^output = .*/output = null/' -e "s|^uri = .*|uri = $cam|" $W/detectd.conf >$W/footage.conf
    "$build/bin/detectd" --config $W/footage.conf 2>$W/footage.log &
    pid=$!
    if wait_for 300 "p['detections_per_class'].get('person', 0) >= 3"; then
        ok "people detected in vtest footage looped through vivid ($(stat "p['detections_per_class']"))"
    else
        bad "real footage: no people detected: $(stat "(p['frames_processed'], p['detections_per_class'], p['last_error'])")"
        sed 's/^/HIL footage-log /' $W/footage.log | tail -n 6
    fi
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    kill "$feeder" 2>/dev/null
fi

if [ "$fails" = 0 ]; then
    echo "HIL-SUMMARY PASS $oks checks (not covered: zero-copy scan-out on vkms 6.1)"
else
    echo "HIL-SUMMARY FAIL $fails of $((oks + fails)) checks failed"
fi
