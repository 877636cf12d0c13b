// Which of the official client's error classes each refusal raises; prints one JSON object for pytest.
import fs from "node:fs/promises";
import {
  createProdia,
  ProdiaBadResponseError,
  ProdiaCapacityError,
  ProdiaUserError,
} from "prodia/v2";

const baseUrl = process.env.PRODIA_BASE_URL;
const image = new Uint8Array(await fs.readFile("input.jpg"));
const classes = { ProdiaBadResponseError, ProdiaCapacityError, ProdiaUserError };

async function outcome(prodia, job) {
  try {
    await prodia.job(job, { accept: "multipart/form-data", inputs: [image] });
    return { error: null };
  } catch (error) {
    const name = Object.keys(classes).find((key) => error instanceof classes[key]) ?? error.constructor.name;
    return { error: name, message: error.message };
  }
}

const good = createProdia({ token: process.env.PRODIA_TOKEN, baseUrl, maxRetries: 1 });
const bad = createProdia({ token: "not-the-token", baseUrl });
const result = {
  badToken: await outcome(bad, { type: "inference.segment.v1" }),
  badConfig: await outcome(good, { type: "inference.segment.v2", config: { prompt: "cat", confidence_threshold: 2 } }),
  unknownType: await outcome(good, { type: "inference.segment.v9" }),
  ok: await outcome(good, { type: "inference.sam3.segment.v1", config: { prompt: "red" } }),
};
console.log(JSON.stringify(result));
