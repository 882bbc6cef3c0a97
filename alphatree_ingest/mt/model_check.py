"""`alphatree model check`: what the installed translation model does with real scientific prose,
measured where it matters and no test here can: the real model only exists on users' machines.

It translates a bundled set of sentences written the way papers write them (terms, formulas, numbers,
URLs, citations) through the pipeline's own stage, and reports how often the model returns every
placeholder intact, how often the piece-by-piece recovery is taken, the share of untranslated English,
and tokens per second. Paste its output into bug reports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .glossary import Glossary
from .text import has_cjk, protect, untranslated_share
from .translate import TranslateStage, Translator

SENTENCES = (
    "We propose a residual learning framework to ease the training of networks that are substantially "
    "deeper.",
    "On the ImageNet dataset we evaluate residual nets with a depth of up to 152 layers.",
    "An ensemble of these residual nets achieves 3.57% top-5 error on the ImageNet test set.",
    "The shortcut connections simply perform identity mapping, and their outputs are added to the outputs "
    "of the stacked layers.",
    "We use a weight decay of 0.0001 and a momentum of 0.9, and the learning rate starts from 0.1.",
    "Batch normalization allows us to use much higher learning rates and be less careful about "
    "initialization.",
    "The generator G maps a noise vector z to an image, while the discriminator D estimates the probability "
    "that a sample came from the training data.",
    "We train the discriminator to maximize log D(x) + log(1 - D(G(z))).",
    "Code is available at https://github.com/facebookresearch/detectron2.",
    "Our implementation is based on PyTorch and will be released at https://github.com/example/project.",
    "Compared with Faster R-CNN [32], our detector runs at 45 frames per second on a Titan X GPU.",
    "Following previous work (He et al., 2016), we pre-train the backbone on ImageNet-1K.",
    "The attention weights are computed as softmax(QK^T / sqrt(d_k)) V.",
    "We replace every 3x3 convolution with a depthwise separable convolution followed by a 1x1 pointwise "
    "convolution.",
    "MobileNetV2 reduces the number of parameters to 3.4M while keeping 72.0% top-1 accuracy.",
    "The loss function is the sum of a classification term and a box regression term weighted by "
    "lambda = 10.",
    "We report mean average precision (mAP) at IoU thresholds from 0.5 to 0.95 on COCO test-dev.",
    "Our model reaches 42.1 AP, which is 2.3 points higher than the previous state of the art.",
    "Semantic segmentation assigns a class label to every pixel of an image.",
    "The encoder downsamples the input by a factor of 16, and the decoder recovers the spatial resolution "
    "with bilinear upsampling.",
    "Atrous convolution enlarges the field of view of filters without increasing the number of parameters.",
    "We evaluate on the PASCAL VOC 2012 benchmark and achieve 79.7% mIOU on the test set.",
    "Scene text recognition remains challenging because of irregular shapes and low resolution.",
    "The recognizer predicts a character sequence with a connectionist temporal classification (CTC) loss.",
    "Face verification is performed by thresholding the Euclidean distance between two 128-dimensional "
    "embeddings.",
    "The triplet loss pulls an anchor towards a positive sample and pushes it away from a negative one by a "
    "margin alpha.",
    "Knowledge distillation transfers the dark knowledge of a large teacher model to a small student model.",
    "Channel pruning removes 50% of the filters with a drop of only 0.3% in accuracy.",
    "We quantize the weights to 8 bits, which reduces the model size by a factor of 4.",
    "Vision Transformer splits an image into 16x16 patches and feeds their linear embeddings to a standard "
    "Transformer encoder.",
    "Self-supervised pre-training learns representations without human annotations.",
    "Contrastive learning maximizes agreement between two augmented views of the same image.",
    "The momentum encoder is updated as theta_k <- m theta_k + (1 - m) theta_q with m = 0.999.",
    "Data augmentation includes random cropping, horizontal flipping and color jittering.",
    "Table 2 shows that removing the attention module decreases accuracy by 1.8 points.",
    "As shown in Figure 3, the feature maps of deeper layers respond to object parts.",
    "We train for 90 epochs with a batch size of 256 on 8 GPUs.",
    "The FLOPs of the model are 4.1G for an input of 224x224 pixels.",
    "Progressive growing starts from a 4x4 resolution and adds layers until it reaches 1024x1024.",
    "The style-based generator controls the image synthesis through adaptive instance normalization (AdaIN).",
    "Spectral normalization stabilizes the training of the discriminator.",
    "Wasserstein distance provides a meaningful loss that correlates with sample quality.",
    "Conditional GANs feed the class label y to both the generator and the discriminator.",
    "CycleGAN learns a mapping between two domains without paired examples, using a cycle consistency loss.",
    "The Frechet Inception Distance (FID) of our model is 4.40 on FFHQ at 1024x1024.",
    "Non-maximum suppression removes duplicate detections whose IoU exceeds 0.7.",
    "Anchor boxes of three scales and three aspect ratios are placed at every position of the feature map.",
    "Feature pyramid networks combine low-resolution, semantically strong features with high-resolution, "
    "semantically weak features.",
    "Mask R-CNN extends Faster R-CNN by adding a branch for predicting an object mask in parallel.",
    "We thank the anonymous reviewers for their helpful comments.",
)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


@dataclass
class CheckReport:
    model: str
    backend: str
    sentences: int
    protected: int
    intact: int
    recovered: int
    spans_kept: float
    untranslated: float
    chinese: float
    tokens: int
    seconds: float

    def lines(self) -> list[str]:
        return [
            f"model: {self.model} (backend {self.backend})",
            f"sentences: {self.sentences}, of which {self.protected} carry protected spans "
            "(formulas, URLs, terms, numbers with units)",
            f"placeholders returned intact by the model: {self.intact} of {self.protected} "
            f"({_percent(self.intact, self.protected)})",
            f"recovery path (piece by piece) taken: {self.recovered} of {self.sentences} "
            f"({_percent(self.recovered, self.sentences)})",
            f"protected spans present in the final Chinese: {100 * self.spans_kept:.0f}%",
            f"untranslated English in the output: {100 * self.untranslated:.1f}% of its letters (mean)",
            f"outputs containing Chinese: {100 * self.chinese:.0f}%",
            f"speed: {self.tokens} source tokens in {self.seconds:.1f} s = "
            f"{self.tokens / max(self.seconds, 1e-9):.0f} tokens/s",
        ]


def run(translator: Translator, glossary: Glossary) -> CheckReport:
    """Translate SENTENCES one batch through the stage (no memory: the model alone is measured)."""
    stage = TranslateStage(translator, glossary, memory=None)
    start = time.perf_counter()
    outputs = stage.translate(list(SENTENCES))
    seconds = time.perf_counter() - start
    kept = glossary.kept
    spans = [(protect(s, glossary).spans, out) for s, out in zip(SENTENCES, outputs, strict=True)]
    total_spans = sum(len(found) for found, _ in spans)
    kept_spans = sum(1 for found, out in spans for span in found if span.strip() in out)
    tokens_of = getattr(translator, "tokens", None)
    tokens = (
        sum(len(tokens_of(s)) for s in SENTENCES) if tokens_of else sum(len(s.split()) for s in SENTENCES)
    )
    return CheckReport(
        model=translator.name,
        backend=translator.backend,
        sentences=len(SENTENCES),
        protected=stage.protected,
        intact=stage.protected - stage.mangled,
        recovered=stage.recovered,
        spans_kept=kept_spans / total_spans if total_spans else 1.0,
        untranslated=sum(untranslated_share(o, s, kept) for s, o in zip(SENTENCES, outputs, strict=True))
        / len(SENTENCES),
        chinese=sum(1 for o in outputs if has_cjk(o)) / len(SENTENCES),
        tokens=tokens,
        seconds=seconds,
    )
