/** Fault switches of a virtual phone (see VirtualPhone.setFaults and `cli.ts --help`). */
export interface PhoneFaults {
  /** Drop the USB/TCP link once this many file bytes have arrived in a sync SEND. */
  disconnectAfterBytes: number | null;
  /** Throttle the link to this many bytes per second (both directions). */
  bytesPerSecond: number | null;
  /** The benchmark runner dies with SIGSEGV (exit status 139, "Segmentation fault"). */
  runnerCrash: boolean;
  /** Writes under /data/local/tmp fail with ENOSPC. */
  noSpace: boolean;
  /** Answer CNXN with an AUTH request that is never completed (adb shows `unauthorized`). */
  unauthorized: boolean;
  /** Accept the connection but never finish the handshake (adb shows `offline`). */
  offline: boolean;
}

export function noFaults(): PhoneFaults {
  return {
    disconnectAfterBytes: null,
    bytesPerSecond: null,
    runnerCrash: false,
    noSpace: false,
    unauthorized: false,
    offline: false,
  };
}
