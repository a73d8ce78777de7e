// Minimal typings for the parts of oidc-provider 9 that Proviso uses (the package ships none).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type Configuration = Record<string, unknown> & {
    features?: Record<string, unknown>;
  };

  export interface OidcClient {
    clientId: string;
    clientName?: string;
    redirectUris: string[];
    sectorIdentifier?: string;
    grantTypeAllowed(type: string): boolean;
  }

  export interface KoaContextWithOIDC {
    oidc: {
      params?: Record<string, unknown>;
      client?: OidcClient;
      grant?: { rar?: unknown[] };
      entities: Record<string, unknown>;
      route?: string;
    };
    type: string;
    body: unknown;
    /** Koa's request method, path and content negotiation. */
    method: string;
    path: string;
    accepts(...types: string[]): string | false;
    response: { is(type: string): string | false | null };
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string };
    grantId?: string;
    lastSubmission?: Record<string, unknown>;
  }

  export interface GrantInstance {
    accountId: string;
    clientId: string;
    rar?: unknown[];
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    addRar(detail: unknown): void;
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface GrantModel {
    new (init: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  }

  export interface TokenInstance {
    grantId: string;
    clientId: string;
    accountId: string;
    jkt?: string;
    rar?: unknown[];
    exp: number;
    isExpired: boolean;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    static get ctx(): { oidc?: { entities?: Record<string, unknown> } } | undefined;
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    on(event: string, listener: (...args: unknown[]) => void): this;
    use(
      middleware: (ctx: KoaContextWithOIDC & { status: number }, next: () => Promise<void>) => Promise<void>,
    ): this;
    readonly Grant: GrantModel;
    readonly AccessToken: {
      find(value: string): Promise<TokenInstance | undefined>;
      revokeByGrantId(id: string): Promise<void>;
    };
    readonly RefreshToken: unknown;
    Client: { find(id: string): Promise<OidcClient | undefined> };
  }

  export const errors: {
    InvalidGrant: new (description?: string) => Error;
    InvalidTarget: new (description?: string) => Error;
    InvalidAuthorizationDetails: new (description?: string) => Error;
    InvalidRequest: new (description?: string) => Error;
    AccessDenied: new (description?: string) => Error;
  };
}
