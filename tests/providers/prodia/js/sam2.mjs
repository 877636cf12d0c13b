// The seed's SAM 2 example (Segmenting Images guide), unchanged except for `baseUrl`.
import fs from "node:fs/promises";
import { createProdia } from "prodia/v2";
const prodia = createProdia({
token: process.env.PRODIA_TOKEN,
baseUrl: process.env.PRODIA_BASE_URL,
});
// First generate an image to segment
console.log("Generating image...");
const imageJob = await prodia.job({
type: "inference.flux-fast.schnell.txt2img.v1",
config: {
prompt: "a cute robot cat on a colorful background",
resolution: "1024x1024",
},
});
const imageBuffer = await imageJob.arrayBuffer();
await fs.writeFile("input.jpg", new Uint8Array(imageBuffer));
console.log("Saved input.jpg");
// Now segment it using SAM 2
console.log("Segmenting image...");
const segmentJob = await prodia.job(
{ type: "inference.segment.v1" },
{ accept: "multipart/form-data", inputs: [new Uint8Array(imageBuffer)] }
);
// Get all mask outputs
const formData = await segmentJob.formData();
const masks = formData.getAll("output");
for (const [i, mask] of masks.entries()) {
const buffer = await mask.arrayBuffer();
await fs.writeFile(`mask_${i}.png`, new Uint8Array(buffer));
}
console.log(`Saved ${masks.length} mask files`);
