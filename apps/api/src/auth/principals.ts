/**
 * @module auth/principals — who a request acts as. A principal id is a user's id or, for an API token,
 * `apitoken_<tokenId>`: routes pass it on as `Actor.userId`, so every role check (`roleOf`) and every audit
 * row (`audit.record`) sees the token, with the token's own role, without a second code path.
 */

const API_TOKEN_PRINCIPAL = 'apitoken_';

/** The principal id an API token acts as (a valid protocol `Id`, never a user's UUID). */
export function apiTokenPrincipal(tokenId: string): string {
  return API_TOKEN_PRINCIPAL + tokenId;
}

/** The API token a principal id names, or undefined for a user. */
export function apiTokenIdOf(principalId: string | null | undefined): string | undefined {
  return principalId?.startsWith(API_TOKEN_PRINCIPAL)
    ? principalId.slice(API_TOKEN_PRINCIPAL.length)
    : undefined;
}
