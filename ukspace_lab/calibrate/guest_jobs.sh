# Job functions sourced by /init in the calibration guest (busybox sh).
# Parameters arrive as kernel command-line variables: uks_segs, uks_tasks,
# uks_touch, uks_hold_mib, uks_read_pages, uks_hit_pages, uks_hit_rounds,
# uks_tmpfs_mib.
W=/bin/uks-workload
T=/sys/kernel/tracing
PROBES="kmap_high kunmap_high map_new_virtual flush_all_zero_pkmaps __kmap_local_pfn_prot
__kmap_local_page_prot kunmap_local_indexed flush_tlb_all flush_tlb_kernel_range
do_flush_tlb_all do_kernel_range_flush native_flush_tlb_global native_flush_tlb_one_user
native_flush_tlb_local pte_alloc_one shmem_file_read_iter"

# One /proc/meminfo snapshot (after vm.stat_refresh), the zone sizes in pages,
# and the boot-time memory lines of the kernel log.
job_mem() {
    $W meminfo boot
    awk '/^Node/ { z = $4 } $1 == "spanned" || $1 == "present" || $1 == "managed" { v[z "_" $1] = $2 }
        END { printf "UKS kind=zones"; for (k in v) printf " %s_pages=%s", k, v[k]; print "" }' /proc/zoneinfo
    dmesg | sed -n \
        -e 's/.*Memory: \([0-9]*\)K\/\([0-9]*\)K available (\([0-9]*\)K kernel code, \([0-9]*\)K rwdata, \([0-9]*\)K rodata, \([0-9]*\)K init, \([0-9]*\)K bss, \([0-9]*\)K reserved.*/UKS kind=dmesg_memory available_kB=\1 present_kB=\2 code_kB=\3 rwdata_kB=\4 rodata_kB=\5 init_kB=\6 bss_kB=\7 reserved_kB=\8/p' \
        -e 's/.* \([0-9]*\)MB LOWMEM available.*/UKS kind=dmesg_lowmem lowmem_MB=\1/p' \
        -e 's/.*software IO TLB: mapped .*(\([0-9]*\)MB).*/UKS kind=dmesg_swiotlb swiotlb_MB=\1/p'
}

# PageTables/LowFree/HighFree per process: for each segment size, fork N tasks.
job_pt() {
    for seg in $(echo "${uks_segs:-64}" | tr ',' ' '); do
        $W pt "$seg" "${uks_tasks:-1}" "${uks_touch:-none,sparse}" || return 1
    done
}

# Register a kprobe event for every wanted symbol present in /proc/kallsyms.
probes_setup() {
    present=$(awk -v want="$(echo $PROBES)" 'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) ok[w[i]] = 1 }
        ($2 == "t" || $2 == "T") && ($3 in ok) { print $3 }' /proc/kallsyms | sort -u)
    used=""; failed=""; missing=""
    for f in $PROBES; do
        if ! echo "$present" | grep -qx "$f"; then
            missing="$missing,$f"
        elif echo "p:uks/$f $f" >> $T/kprobe_events 2>/dev/null; then
            used="$used,$f"
        else
            failed="$failed,$f"
        fi
    done
    echo 1 > $T/events/uks/enable
    echo 0 > $T/tracing_on
    echo "UKS kind=probes_setup used=${used#,} missing=${missing#,} failed=${failed#,}"
}

# Hit counts of every probe, from kprobe_profile (column 2 is exact).
probes_snapshot() {
    awk -v tag="$1" 'BEGIN { printf "UKS kind=probes tag=%s", tag } { printf " %s=%s", $1, $2 } END { print "" }' $T/kprobe_profile
}

probes_teardown() {
    echo 0 > $T/events/uks/enable
    echo > $T/kprobe_events
}

# Read a live task's highmem pages through /proc/PID/mem: drives kmap_high.
job_kmap() {
    probes_setup
    mib=${uks_hold_mib:-256}
    $W hold "$mib" /tmp/hold.ready &
    while [ ! -s /tmp/hold.ready ]; do sleep 0.2; done
    read -r pid addr < /tmp/hold.ready
    $W meminfo kmap_hold
    pages=${uks_read_pages:-65536}
    probes_snapshot kmap_before
    $W memread "$pid" "$addr" $((pages * 4096))
    probes_snapshot kmap_after
    hit_pages=${uks_hit_pages:-64}
    rounds=${uks_hit_rounds:-100}
    probes_snapshot hit_before
    i=0
    while [ $i -lt "$rounds" ]; do
        $W memread "$pid" "$addr" $((hit_pages * 4096)) >/dev/null
        i=$((i + 1))
    done
    probes_snapshot hit_after
    echo "UKS kind=kmap_hits pages=$hit_pages rounds=$rounds"
    kill "$pid"
    probes_teardown
}

# Page cache larger than lowmem in a tmpfs: write it, then read it back (kmap_local).
job_tmpfs() {
    probes_setup
    mkdir -p /mnt/t
    mib=${uks_tmpfs_mib:-1024}
    mount -t tmpfs -o size=$((mib + 16))m tmpfs /mnt/t
    $W meminfo tmpfs_before
    probes_snapshot fill_before
    $W fill /mnt/t/file "$mib"
    probes_snapshot fill_after
    $W meminfo tmpfs_filled
    for bs in 1048576 4096; do
        probes_snapshot "read${bs}_before"
        $W read /mnt/t/file "$bs"
        probes_snapshot "read${bs}_after"
    done
    rm /mnt/t/file
    umount /mnt/t
    probes_teardown
}
