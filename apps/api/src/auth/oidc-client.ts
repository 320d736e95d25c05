/**
 * @module auth/oidc-client — the OpenID Connect relying party (openid-client 6): discovery (lazy, retried
 * after a failure), the authorization request with PKCE (S256), state and nonce, and the callback: code
 * exchange, ID token checks (issuer, audience, signature, nonce), then the e-mail from the ID token or
 * UserInfo. The request's secrets travel in a short-lived cookie, encrypted and authenticated (JWE), as
 * does a verified sign-in that still waits for the account's TOTP code (the second step).
 */
import { EncryptJWT, jwtDecrypt } from 'jose';
import * as client from 'openid-client';
import { z } from 'zod';
import type { OidcSettings } from '../config.js';

/** How long a sign-in at the provider may take (the transaction cookie's lifetime). */
export const OIDC_TRANSACTION_TTL_SECONDS = 600;
const TRANSACTION_AUDIENCE = 'hostwire:oidc-transaction';
/** How long a provider sign-in waits for the account's TOTP code (the second-step cookie's lifetime). */
export const OIDC_SECOND_STEP_TTL_SECONDS = 300;
const SECOND_STEP_AUDIENCE = 'hostwire:oidc-second-step';

const Transaction = z.object({
  state: z.string().min(1),
  nonce: z.string().min(1),
  verifier: z.string().min(1),
  invitation: z.string().optional(),
  returnTo: z.string().optional(),
  /** Set when a signed-in user links the provider to their account (the user id). */
  link: z.string().optional(),
});
/** What the callback needs from the start of a sign-in: the PKCE verifier, state, nonce and intent. */
export type Transaction = z.infer<typeof Transaction>;

const SecondStep = z.object({
  userId: z.string().min(1),
  email: z.string(),
  issuer: z.string(),
  invitation: z.string().optional(),
  returnTo: z.string().optional(),
});
/** A provider sign-in that verified, waiting for the account's TOTP code before it gets a session. */
export type SecondStep = z.infer<typeof SecondStep>;

/** Who the provider says signed in. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
}

/** Why a callback did not verify: the kind decides the message shown, the cause goes to the log. */
export class OidcFailure extends Error {
  override readonly name = 'OidcFailure';
  constructor(
    readonly kind: 'transaction' | 'denied' | 'invalid' | 'unreachable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function createOidcClient(settings: OidcSettings, transactionKey: Uint8Array) {
  let discovered: Promise<client.Configuration> | undefined;

  function configuration(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        { redirect_uris: [settings.redirectUri], response_types: ['code'] },
        undefined,
        settings.allowHttp ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .then((config) => {
        // client_secret_basic is the default of the specification; post only where basic is not offered.
        const methods = config.serverMetadata().token_endpoint_auth_methods_supported;
        const auth =
          methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')
            ? client.ClientSecretPost(settings.clientSecret)
            : client.ClientSecretBasic(settings.clientSecret);
        return new client.Configuration(
          config.serverMetadata(),
          settings.clientId,
          { redirect_uris: [settings.redirectUri], response_types: ['code'] },
          auth,
        );
      })
      .then((config) => {
        if (settings.allowHttp) client.allowInsecureRequests(config);
        return config;
      })
      .catch((cause: unknown) => {
        discovered = undefined;
        throw new OidcFailure('unreachable', 'The single sign-on provider cannot be reached', { cause });
      });
    return discovered;
  }

  async function sealTransaction(transaction: Transaction): Promise<string> {
    return new EncryptJWT({ ...transaction })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setAudience(TRANSACTION_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${OIDC_TRANSACTION_TTL_SECONDS}s`)
      .encrypt(transactionKey);
  }

  async function sealSecondStep(step: SecondStep): Promise<string> {
    return new EncryptJWT({ ...step })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setAudience(SECOND_STEP_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${OIDC_SECOND_STEP_TTL_SECONDS}s`)
      .encrypt(transactionKey);
  }

  /** The pending sign-in of a second-step cookie, or undefined when missing, expired or not ours. */
  async function openSecondStep(sealed: string | undefined): Promise<SecondStep | undefined> {
    if (!sealed) return undefined;
    try {
      const { payload } = await jwtDecrypt(sealed, transactionKey, {
        audience: SECOND_STEP_AUDIENCE,
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      return SecondStep.parse(payload);
    } catch {
      return undefined;
    }
  }

  async function openTransaction(sealed: string | undefined): Promise<Transaction> {
    if (!sealed)
      throw new OidcFailure(
        'transaction',
        'The sign-in started in another browser or took too long; start again',
      );
    try {
      const { payload } = await jwtDecrypt(sealed, transactionKey, {
        audience: TRANSACTION_AUDIENCE,
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      return Transaction.parse(payload);
    } catch (cause) {
      throw new OidcFailure('transaction', 'The sign-in expired or was tampered with; start again', {
        cause,
      });
    }
  }

  return {
    sealSecondStep,
    openSecondStep,

    /** Where to send the browser, and the sealed transaction to keep in its cookie until the callback. */
    async begin(intent: {
      invitation?: string | undefined;
      returnTo?: string | undefined;
      link?: string | undefined;
    }): Promise<{ url: string; transaction: string }> {
      const config = await configuration();
      const transaction: Transaction = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        ...(intent.invitation ? { invitation: intent.invitation } : {}),
        ...(intent.returnTo ? { returnTo: intent.returnTo } : {}),
        ...(intent.link ? { link: intent.link } : {}),
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: 'openid email profile',
        response_type: 'code',
        code_challenge: await client.calculatePKCECodeChallenge(transaction.verifier),
        code_challenge_method: 'S256',
        state: transaction.state,
        nonce: transaction.nonce,
      });
      return { url: url.href, transaction: await sealTransaction(transaction) };
    },

    /**
     * Completes a sign-in from the callback URL: the state must be the transaction's, the code is
     * exchanged with the PKCE verifier, the ID token must carry the transaction's nonce.
     */
    async complete(
      callbackUrl: URL,
      sealed: string | undefined,
    ): Promise<{ identity: OidcIdentity; transaction: Transaction }> {
      const transaction = await openTransaction(sealed);
      const config = await configuration();
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: transaction.verifier,
          expectedState: transaction.state,
          expectedNonce: transaction.nonce,
          idTokenExpected: true,
        });
      } catch (cause) {
        if (cause instanceof client.AuthorizationResponseError)
          throw new OidcFailure(
            'denied',
            `The provider did not sign you in: ${cause.error_description ?? cause.error}`,
            { cause },
          );
        throw new OidcFailure('invalid', 'The sign-in response did not verify; start again', { cause });
      }
      const claims = tokens.claims();
      if (!claims) throw new OidcFailure('invalid', 'The provider sent no ID token');
      let email = claims.email;
      let verified = claims.email_verified;
      if (typeof email !== 'string' || verified === undefined) {
        try {
          const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
          email = typeof email === 'string' ? email : info.email;
          verified = verified ?? info.email_verified;
        } catch (cause) {
          throw new OidcFailure('invalid', 'The provider did not answer the UserInfo request', { cause });
        }
      }
      return {
        identity: {
          issuer: claims.iss,
          subject: claims.sub,
          email: typeof email === 'string' ? email : undefined,
          // Some providers send the claim as a string.
          emailVerified: verified === true || verified === 'true',
        },
        transaction,
      };
    },
  };
}

export type OidcClient = ReturnType<typeof createOidcClient>;
