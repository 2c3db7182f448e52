#!/bin/busybox sh
# /init of the calibration guest: mount the pseudo filesystems, report the
# kernel, run the jobs named by job=a,b on the kernel command line, power off.
# Every result line starts with "UKS " (parsed by ukspace_lab.calibrate.parse).
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t tmpfs -o size=64m tmpfs /tmp
exec </dev/console >/dev/console 2>&1

. /jobs.sh
echo "UKS kind=boot release=$(uname -r) machine=$(uname -m) cpus=$(nproc) jobs=$job uptime_s=$(cut -d' ' -f1 /proc/uptime)"
for one in $(echo "$job" | tr ',' ' '); do
    start=$(cut -d' ' -f1 /proc/uptime)
    if type "job_$one" >/dev/null 2>&1; then
        "job_$one"
        status=$?
    else
        echo "UKS kind=error what=unknown_job job=$one"
        status=127
    fi
    echo "UKS kind=job_done job=$one status=$status start_s=$start end_s=$(cut -d' ' -f1 /proc/uptime)"
done
echo "UKS kind=done uptime_s=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
