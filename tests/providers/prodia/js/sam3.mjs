// The seed's SAM 3 example (Segmenting Images guide), unchanged except for `baseUrl`.
import fs from "node:fs/promises";
import { createProdia } from "prodia/v2";
const prodia = createProdia({
token: process.env.PRODIA_TOKEN,
baseUrl: process.env.PRODIA_BASE_URL,
});
// Load an image to segment
const imageBuffer = await fs.readFile("input.jpg");
// Segment only the robot cat using SAM 3
console.log("Segmenting with prompt...");
const segmentJob = await prodia.job(
{
type: "inference.segment.v2",
config: {
prompt: "robot cat",
confidence_threshold: 0.5,
},
},
{ accept: "multipart/form-data", inputs: [new Uint8Array(imageBuffer)] }
);
const formData = await segmentJob.formData();
const masks = formData.getAll("output");
for (const [i, mask] of masks.entries()) {
const buffer = await mask.arrayBuffer();
await fs.writeFile(`mask_${i}.png`, new Uint8Array(buffer));
}
console.log(`Saved ${masks.length} mask files`);
