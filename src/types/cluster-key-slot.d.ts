/** Types for cluster-key-slot (an ioredis dependency that ships none): Redis Cluster's CRC16 hash slot of a key. */
declare module 'cluster-key-slot' {
  /** The hash slot (0..16383) of `key`, honouring a `{hash tag}`. */
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
