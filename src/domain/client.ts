/** An OIDC client as registered (RFC 7591 metadata) plus Guichet's own flags. */
export interface ClientRecord {
  clientId: string;
  metadata: Record<string, unknown>;
  firstParty: boolean;
  createdAt: Date;
}
