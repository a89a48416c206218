/** What differs between the gateway's two APIs; everything else in the package is the same for both. */
import type { IDataObject } from 'n8n-workflow';

import type { LumaState } from '../generation';
import type { ApiName, VideoRequest } from '../models';

/** Why an API cannot take a request, in the words of an input error: the field, what is wrong, the fix. */
export interface Refusal {
	field: string;
	problem: string;
	fix: string;
}

export interface VideoApi {
	name: ApiName;
	/** How messages name it. */
	label: string;
	createPath: string;
	fetchPath: string;
	/** The fetch-many path; unset when every fetch asks about one generation. */
	fetchManyPath?: string;
	/** Whether a fetch can wait on the server for a state (the long poll, up to 30 s). */
	longPoll: boolean;
	/** Whether the server takes a `callback_url`. */
	callbacks: boolean;
	/** Without a long poll: the pause between two fetches of one generation, in ms. */
	pollEveryMs?: number;
	/** Why this API cannot take the request (checked before anything is sent), or undefined. */
	refusal(request: VideoRequest): Refusal | undefined;
	/** The JSON body of the create. */
	createBody(request: VideoRequest): IDataObject;
	/** The query of a fetch of one generation; `waitFor` only where there is a long poll. */
	fetchQuery(id: string, waitFor?: LumaState): IDataObject;
	fetchManyQuery?(ids: string[], waitFor?: LumaState): IDataObject;
}
